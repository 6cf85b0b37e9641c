// Parser error messages written for the people who edit rule files: "expected 'at' in a notify
// step, but found "2m"", with a "did you mean" hint when a misspelt keyword is the likely cause.
import { tokenLabel, type IParserErrorMessageProvider, type IToken, type TokenType } from 'chevrotain';
import { didYouMean } from './diagnostics.js';

const ruleDescriptions: Record<string, string> = {
  rulesFile: 'a rules file',
  declaration: 'a rules file',
  schemaDecl: 'the schema',
  fieldDecl: 'a schema field',
  fieldType: 'a field type',
  fieldPath: 'a field name',
  nameList: 'a list of names',
  calendarDecl: 'a calendar',
  windowDecl: 'a calendar window',
  exceptDecl: 'a calendar exception',
  holidaysDecl: 'a holiday set',
  roleDecl: 'a role',
  teamDecl: 'a team',
  personDecl: 'a person',
  workflowDecl: 'a workflow',
  legacyGroupDecl: 'a legacy pager group',
  stageDecl: 'a migration stage',
  targetsDecl: 'workflow targets',
  targetItem: 'a workflow target',
  routeDecl: 'a route',
  stepDecl: 'a notify step',
  repeatDecl: 'a repeat',
  fallbackDecl: 'a fallback',
  templateDecl: 'a template',
  channelText: 'a channel text',
  letDecl: 'a let',
  expr: 'a condition',
  andExpr: 'a condition',
  unaryExpr: 'a condition',
  atom: 'a condition',
  predicate: 'a condition',
  compareOp: 'a comparison',
  literal: 'a value',
  testDecl: 'a test',
  alertBlock: "a test's alert",
  alertEntry: "a test's alert",
  atClause: "a test's instant",
  givenClause: 'a given',
  expectation: 'an expectation',
};

/**
 * The words that may start a statement inside a block. When a block's `}` is expected, the
 * likely mistake is a misspelt statement word, so the message lists them and the hint guesses.
 */
const templateWords = ['sms', 'voice', 'pager', 'push', 'detail', 'let'];
const statementWords: Record<string, readonly string[]> = {
  routeDecl: ['notify', 'repeat', 'fallback', 'continue', ...templateWords],
  workflowDecl: ['route', 'legacy-pager-group', 'stage', 'target', 'fallback', ...templateWords],
  calendarDecl: ['except', 'daily', 'weekdays', 'weekends', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
  testDecl: ['alert', 'at', 'given', 'expect'],
};
const declarationWords = ['schema', 'calendar', 'holidays', 'role', 'team', 'person', 'workflow', 'test'];

/** Hints found while building messages, keyed by the offending token; read by the caller. */
export const syntaxHints = new Map<IToken, string>();

function found(token: IToken): string {
  return token.image === '' ? 'the end of the file' : `"${token.image}"`;
}

function where(ruleName: string): string {
  const description = ruleDescriptions[ruleName];
  return description === undefined ? '' : ` in ${description}`;
}

function rememberHint(actual: IToken, expected: readonly TokenType[]): void {
  const keywords = expected.map((t) => tokenLabel(t)).filter((l) => /^'[a-z-]+'$/.test(l)).map((l) => l.slice(1, -1));
  const hint = didYouMean(actual.image, keywords);
  if (hint !== undefined) syntaxHints.set(actual, hint);
}

function declarationExpected(actual: IToken): string {
  const hint = didYouMean(actual.image, declarationWords);
  if (hint !== undefined) syntaxHints.set(actual, hint);
  return `expected a declaration (${declarationWords.join(', ')}), but found ${found(actual)}`;
}

function describeAlternatives(paths: readonly (readonly TokenType[])[]): string {
  const labels = [...new Set(paths.map((p) => (p[0] === undefined ? 'the end' : tokenLabel(p[0]))))];
  return labels.length === 1 ? labels[0]! : `one of ${labels.join(', ')}`;
}

export const rulesErrorMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual, ruleName }) {
    if (expected.name === 'EOF') return declarationExpected(actual);
    const statements = statementWords[ruleName];
    if (expected.name === 'RCurly' && statements !== undefined) {
      const hint = didYouMean(actual.image, statements);
      if (hint !== undefined) syntaxHints.set(actual, hint);
      return `expected '}' or a statement (${statements.join(', ')})${where(ruleName)}, but found ${found(actual)}`;
    }
    rememberHint(actual, [expected]);
    return `expected ${tokenLabel(expected)}${where(ruleName)}, but found ${found(actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return declarationExpected(firstRedundant);
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, ruleName }) {
    const paths = expectedPathsPerAlt.flat();
    const first = actual[0]!;
    rememberHint(first, paths.map((p) => p[0]).filter((t): t is TokenType => t !== undefined));
    return `expected ${describeAlternatives(paths)}${where(ruleName)}, but found ${found(first)}`;
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual, ruleName }) {
    const first = actual[0]!;
    rememberHint(first, expectedIterationPaths.map((p) => p[0]).filter((t): t is TokenType => t !== undefined));
    const expected = describeAlternatives(expectedIterationPaths);
    return `expected at least ${expected.startsWith('one of ') ? expected : `one ${expected}`}${where(ruleName)}, but found ${found(first)}`;
  },
};
