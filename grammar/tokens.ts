// The lexer of the rules language.
//
// Two kinds of words: reserved words that shape conditions (`and`, `or`, `not`, `in`, `when`,
// …) can never be names, while declaration keywords (`test`, `route`, `sms`, …) also belong to
// the `Name` category, so a schema may still call a field `test` and a role may be called
// `pager-team`. That keeps the vocabulary of the hospital free without making the grammar
// ambiguous: a declaration keyword only ever starts a statement where no name can.
import { createToken, Lexer, type IToken, type TokenType } from 'chevrotain';

export const Name = createToken({ name: 'Name', label: 'a name', pattern: Lexer.NA });

/** A name: letters, digits and `_`, with single inner hyphens (`critical-results`, `mon-fri`). */
export const Identifier = createToken({
  name: 'Identifier',
  label: 'a name',
  pattern: /[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*/,
  categories: [Name],
});

const reserved: TokenType[] = [];
const declarative: TokenType[] = [];

function keyword(word: string, kind: 'reserved' | 'declarative'): TokenType {
  const tokenName = word
    .split('-')
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
  const token = createToken({
    name: tokenName,
    label: `'${word}'`,
    // \b alone would end `legacy-pager` at the hyphen; longer_alt hands such words back to
    // Identifier, which always wins on the longer match.
    pattern: new RegExp(word),
    longer_alt: Identifier,
    categories: kind === 'declarative' ? [Name] : [],
  });
  (kind === 'reserved' ? reserved : declarative).push(token);
  return token;
}

// Reserved: the words conditions and step modifiers are made of.
export const And = keyword('and', 'reserved');
export const Or = keyword('or', 'reserved');
export const Not = keyword('not', 'reserved');
export const In = keyword('in', 'reserved');
export const When = keyword('when', 'reserved');
export const During = keyword('during', 'reserved');
export const Outside = keyword('outside', 'reserved');
export const Exists = keyword('exists', 'reserved');
export const Matches = keyword('matches', 'reserved');
export const Via = keyword('via', 'reserved');
export const At = keyword('at', 'reserved');
export const Unless = keyword('unless', 'reserved');
export const Acked = keyword('acked', 'reserved');
export const Every = keyword('every', 'reserved');
export const Except = keyword('except', 'reserved');
export const Expect = keyword('expect', 'reserved');
export const Given = keyword('given', 'reserved');

// Declarative: they open declarations and statements, and may also be used as names.
// Longer words first where one is a prefix of another word handled by longer_alt anyway.
export const LegacyPagerGroup = keyword('legacy-pager-group', 'declarative');
export const Schema = keyword('schema', 'declarative');
export const Calendar = keyword('calendar', 'declarative');
export const Holidays = keyword('holidays', 'declarative');
export const Role = keyword('role', 'declarative');
export const Team = keyword('team', 'declarative');
export const Person = keyword('person', 'declarative');
export const Workflow = keyword('workflow', 'declarative');
export const Route = keyword('route', 'declarative');
export const Test = keyword('test', 'declarative');
export const Stage = keyword('stage', 'declarative');
export const Target = keyword('target', 'declarative');
export const Notify = keyword('notify', 'declarative');
export const Repeat = keyword('repeat', 'declarative');
export const Fallback = keyword('fallback', 'declarative');
export const Continue = keyword('continue', 'declarative');
export const Let = keyword('let', 'declarative');
export const Roster = keyword('roster', 'declarative');
export const Service = keyword('service', 'declarative');
export const Shift = keyword('shift', 'declarative');
export const Inbox = keyword('inbox', 'declarative');
export const Id = keyword('id', 'declarative');
export const Phi = keyword('phi', 'declarative');
export const Ordered = keyword('ordered', 'declarative');
export const Enum = keyword('enum', 'declarative');
export const Alert = keyword('alert', 'declarative');
export const First = keyword('first', 'declarative');
export const No = keyword('no', 'declarative');
export const Match = keyword('match', 'declarative');
export const Over = keyword('over', 'declarative');
export const Min = keyword('min', 'declarative');
export const Sms = keyword('sms', 'declarative');
export const Voice = keyword('voice', 'declarative');
export const Push = keyword('push', 'declarative');
export const Pager = keyword('pager', 'declarative');
export const Detail = keyword('detail', 'declarative');

export const StringLiteral = createToken({
  name: 'StringLiteral',
  label: 'a string',
  pattern: /"(?:[^"\\\n\r]|\\.)*"/,
});

/** An unterminated string is its own token so the diagnostic can say exactly that. */
export const UnterminatedString = createToken({
  name: 'UnterminatedString',
  label: 'an unterminated string',
  pattern: /"(?:[^"\\\n\r]|\\.)*/,
});

/**
 * A regular expression, recognised only right after `matches` so that `/` stays free for the
 * push template's title / body separator.
 */
export const RegexLiteral = createToken({
  name: 'RegexLiteral',
  label: 'a regular expression like /K|NA/',
  pattern: {
    exec: (text: string, offset: number, tokens: IToken[]): RegExpExecArray | null => {
      const previous = tokens[tokens.length - 1];
      if (previous?.tokenType !== Matches) return null;
      const re = /\/(?:[^/\\\n\r]|\\.)+\/i?/y;
      re.lastIndex = offset;
      return re.exec(text);
    },
  },
  line_breaks: false,
  start_chars_hint: ['/'],
});

// Literals whose digits would otherwise be read as numbers: the longest shapes first.
export const DateTimeLiteral = createToken({
  name: 'DateTimeLiteral',
  label: 'a date-time like 2026-03-08T02:30',
  pattern: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:\d{2})?/,
});
export const DateLiteral = createToken({ name: 'DateLiteral', label: 'a date like 2026-12-24', pattern: /\d{4}-\d{2}-\d{2}/ });
export const TimeLiteral = createToken({ name: 'TimeLiteral', label: 'a time like 07:00', pattern: /\d{1,2}:\d{2}/ });
export const PercentLiteral = createToken({ name: 'PercentLiteral', label: 'a percentage like 1%', pattern: /\d+(?:\.\d+)?%/ });
/** `90s`, `5m`, `1h30m`, `28d`: digits with a unit, never a bare number. */
export const DurationLiteral = createToken({
  name: 'DurationLiteral',
  label: 'a duration like 5m',
  pattern: /(?:\d+[dhms])+(?![A-Za-z0-9_])/,
});
export const NumberLiteral = createToken({ name: 'NumberLiteral', label: 'a number', pattern: /\d+(?:\.\d+)?/ });

export const LCurly = createToken({ name: 'LCurly', label: "'{'", pattern: /\{/ });
export const RCurly = createToken({ name: 'RCurly', label: "'}'", pattern: /\}/ });
export const LParen = createToken({ name: 'LParen', label: "'('", pattern: /\(/ });
export const RParen = createToken({ name: 'RParen', label: "')'", pattern: /\)/ });
export const Comma = createToken({ name: 'Comma', label: "','", pattern: /,/ });
export const Colon = createToken({ name: 'Colon', label: "':'", pattern: /:/ });
export const Dot = createToken({ name: 'Dot', label: "'.'", pattern: /\./ });
export const Pipe = createToken({ name: 'Pipe', label: "'|'", pattern: /\|/ });
export const Slash = createToken({ name: 'Slash', label: "'/'", pattern: /\// });
export const Dash = createToken({ name: 'Dash', label: "'-'", pattern: /-/ });
export const NotEquals = createToken({ name: 'NotEquals', label: "'!='", pattern: /!=/ });
export const LessEquals = createToken({ name: 'LessEquals', label: "'<='", pattern: /<=/ });
export const GreaterEquals = createToken({ name: 'GreaterEquals', label: "'>='", pattern: />=/ });
export const Less = createToken({ name: 'Less', label: "'<'", pattern: /</ });
export const Greater = createToken({ name: 'Greater', label: "'>'", pattern: />/ });
export const Equals = createToken({ name: 'Equals', label: "'='", pattern: /=/ });

export const Comment = createToken({ name: 'Comment', pattern: /#[^\n\r]*/, group: Lexer.SKIPPED });
export const WhiteSpace = createToken({
  name: 'WhiteSpace',
  pattern: /[ \t\r\n\f\uFEFF]+/,
  group: Lexer.SKIPPED,
  line_breaks: true,
});

export const allTokens: TokenType[] = [
  WhiteSpace,
  Comment,
  StringLiteral,
  UnterminatedString,
  RegexLiteral,
  DateTimeLiteral,
  DateLiteral,
  TimeLiteral,
  PercentLiteral,
  DurationLiteral,
  NumberLiteral,
  // Longest keyword first: the lexer takes the first pattern that matches, so `in` must not
  // be tried before `inbox`, nor `no` before `not` or `notify`.
  ...[...reserved, ...declarative].sort((a, b) => String(b.PATTERN).length - String(a.PATTERN).length),
  Name,
  Identifier,
  LCurly,
  RCurly,
  LParen,
  RParen,
  Comma,
  Colon,
  Dot,
  Pipe,
  Slash,
  NotEquals,
  LessEquals,
  GreaterEquals,
  Less,
  Greater,
  Equals,
  Dash,
];

export const rulesLexer = new Lexer(allTokens, {
  positionTracking: 'full',
  ensureOptimizations: false,
});
