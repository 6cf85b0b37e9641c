// Turns a Chevrotain CST into our typed AST. It only runs on files that parsed without errors,
// so every token a rule always consumes is present; optional parts are checked.
import type { CstElement, CstNode, IToken } from 'chevrotain';
import type * as A from './ast.js';
import { diagnostic, type Diagnostic } from './diagnostics.js';

type Children = Record<string, CstElement[] | undefined>;

function isToken(e: CstElement): e is IToken {
  return 'image' in e;
}

function tokens(c: Children, key: string): IToken[] {
  return (c[key] ?? []).filter(isToken).sort((a, b) => a.startOffset - b.startOffset);
}

function nodes(c: Children, key: string): CstNode[] {
  return (c[key] ?? []).filter((e): e is CstNode => !isToken(e));
}

function token(c: Children, key: string, index = 0): IToken {
  const t = tokens(c, key)[index];
  if (t === undefined) throw new Error(`internal: CST has no token ${key}[${index}]`);
  return t;
}

function node(c: Children, key: string, index = 0): CstNode {
  const n = nodes(c, key)[index];
  if (n === undefined) throw new Error(`internal: CST has no node ${key}[${index}]`);
  return n;
}

export class AstBuilder {
  readonly diagnostics: Diagnostic[] = [];

  constructor(private readonly file: string) {}

  // ── spans and literals ──────────────────────────────────────────────────────────────────

  spanOf(t: IToken): A.Span {
    return {
      file: this.file,
      line: t.startLine ?? 1,
      col: t.startColumn ?? 1,
      endLine: t.endLine ?? t.startLine ?? 1,
      endCol: t.endColumn ?? t.startColumn ?? 1,
    };
  }

  spanOfNode(n: CstNode): A.Span {
    const l = n.location;
    return {
      file: this.file,
      line: l?.startLine ?? 1,
      col: l?.startColumn ?? 1,
      endLine: l?.endLine ?? l?.startLine ?? 1,
      endCol: l?.endColumn ?? l?.startColumn ?? 1,
    };
  }

  private between(a: A.Span, b: A.Span): A.Span {
    return { file: this.file, line: a.line, col: a.col, endLine: b.endLine, endCol: b.endCol };
  }

  named(t: IToken): A.Named {
    return { name: t.image, span: this.spanOf(t) };
  }

  string(t: IToken): A.StringLit {
    return { value: unescape(t.image.slice(1, -1)), span: this.spanOf(t) };
  }

  duration(t: IToken): A.DurationLit {
    const units: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };
    let ms = 0;
    for (const [, n, unit] of t.image.matchAll(/(\d+)([dhms])/g)) ms += Number(n) * units[unit!]!;
    return { ms, text: t.image, span: this.spanOf(t) };
  }

  time(t: IToken): A.TimeOfDay {
    const [h, m] = t.image.split(':').map(Number) as [number, number];
    const minutes = h * 60 + m;
    if (m > 59 || minutes > 24 * 60) {
      this.diagnostics.push(diagnostic('E111', this.spanOf(t), `"${t.image}" is not a time of day`, 'write times as HH:MM from 00:00 to 24:00'));
    }
    return { minutes, text: t.image, span: this.spanOf(t) };
  }

  date(t: IToken): A.DateLit {
    if (!isCalendarDate(t.image)) {
      this.diagnostics.push(diagnostic('E111', this.spanOf(t), `"${t.image}" is not a calendar date`));
    }
    return { value: t.image, span: this.spanOf(t) };
  }

  // ── declarations ────────────────────────────────────────────────────────────────────────

  rulesFile(cst: CstNode): A.RulesFile {
    const declarations = nodes(cst.children, 'declaration').map((d) => this.declaration(d));
    return { path: this.file, declarations };
  }

  private declaration(n: CstNode): A.Declaration {
    const c = n.children;
    const [key] = Object.keys(c);
    const inner = node(c, key!);
    switch (key) {
      case 'schemaDecl':
        return this.schema(inner.children);
      case 'calendarDecl':
        return this.calendar(inner.children);
      case 'holidaysDecl':
        return this.holidays(inner.children);
      case 'roleDecl':
        return this.role(inner.children);
      case 'teamDecl':
        return { kind: 'team', name: this.named(token(inner.children, 'Name')), inbox: this.string(token(inner.children, 'StringLiteral')) };
      case 'personDecl':
        return {
          kind: 'person',
          name: this.named(token(inner.children, 'Name')),
          roster: this.string(token(inner.children, 'StringLiteral', 0)),
          id: this.string(token(inner.children, 'StringLiteral', 1)),
        };
      case 'workflowDecl':
        return this.workflow(inner.children);
      case 'testDecl':
        return this.test(inner, inner.children);
      default:
        throw new Error(`internal: unknown declaration ${key}`);
    }
  }

  private schema(c: Children): A.SchemaDecl {
    return {
      kind: 'schema',
      name: this.named(token(c, 'Name')),
      fields: nodes(c, 'fieldDecl').map((f) => {
        const fc = f.children;
        const typeNode = node(fc, 'fieldType');
        return {
          path: this.fieldPath(node(fc, 'fieldPath')),
          type: this.fieldType(typeNode.children),
          typeSpan: this.spanOfNode(typeNode),
          phi: tokens(fc, 'Phi').length > 0,
        };
      }),
    };
  }

  private fieldType(c: Children): A.FieldType {
    if (c['nameList'] !== undefined) {
      const members = this.nameList(node(c, 'nameList'));
      return tokens(c, 'Ordered').length > 0 ? { kind: 'ordered', members } : { kind: 'enum', members };
    }
    const word = token(c, 'Name');
    switch (word.image) {
      case 'text':
      case 'number':
      case 'timestamp':
        return { kind: word.image };
      default:
        // Kept as text so later passes run; the schema pass reports the unknown type.
        this.diagnostics.push(
          diagnostic('E112', this.spanOf(word), `unknown field type "${word.image}"`, 'a field is text, number, timestamp, enum(…) or ordered(…)'),
        );
        return { kind: 'text' };
    }
  }

  fieldPath(n: CstNode): A.Named {
    const parts = tokens(n.children, 'Name');
    return { name: parts.map((p) => p.image).join('.'), span: this.spanOfNode(n) };
  }

  private nameList(n: CstNode): A.Named[] {
    return tokens(n.children, 'Name').map((t) => this.named(t));
  }

  private calendar(c: Children): A.CalendarDecl {
    return {
      kind: 'calendar',
      name: this.named(token(c, 'Name')),
      zone: this.string(token(c, 'StringLiteral')),
      windows: nodes(c, 'windowDecl').map((w) => ({
        days: this.nameList(node(w.children, 'nameList')),
        from: this.time(token(w.children, 'TimeLiteral', 0)),
        to: this.time(token(w.children, 'TimeLiteral', 1)),
        span: this.spanOfNode(w),
      })),
      exceptions: nodes(c, 'exceptDecl').map((e): A.CalendarException => {
        const ec = e.children;
        if (tokens(ec, 'Holidays').length === 0) return { kind: 'dates', dates: tokens(ec, 'DateLiteral').map((t) => this.date(t)) };
        const code = tokens(ec, 'StringLiteral')[0];
        return code !== undefined
          ? { kind: 'country-holidays', code: this.string(code) }
          : { kind: 'holiday-set', set: this.named(token(ec, 'Name')) };
      }),
    };
  }

  private holidays(c: Children): A.HolidaySetDecl {
    const labels = tokens(c, 'StringLiteral');
    const dates = tokens(c, 'DateLiteral');
    return {
      kind: 'holidays',
      name: this.named(token(c, 'Name')),
      dates: dates.map((d, i) => {
        const next = dates[i + 1]?.startOffset ?? Infinity;
        const label = labels.find((l) => l.startOffset > d.startOffset && l.startOffset < next);
        return { date: this.date(d), label: label === undefined ? null : this.string(label) };
      }),
    };
  }

  private role(c: Children): A.RoleDecl {
    const strings = tokens(c, 'StringLiteral').map((t) => this.string(t));
    const hasService = tokens(c, 'Service').length > 0;
    return {
      kind: 'role',
      name: this.named(token(c, 'Name')),
      roster: strings[0]!,
      service: hasService ? strings[1]! : null,
      shifts: strings.slice(hasService ? 2 : 1),
    };
  }

  // ── workflows ───────────────────────────────────────────────────────────────────────────

  private workflow(c: Children): A.WorkflowDecl {
    const group = nodes(c, 'legacyGroupDecl');
    const stage = nodes(c, 'stageDecl');
    const targets = nodes(c, 'targetsDecl');
    for (const [list, what] of [
      [group, 'legacy-pager-group'],
      [stage, 'stage'],
      [targets, 'target'],
    ] as const) {
      for (const extra of list.slice(1)) {
        this.diagnostics.push(diagnostic('E116', this.spanOfNode(extra), `a workflow sets "${what}" once`, 'remove the repeated line'));
      }
    }
    return {
      kind: 'workflow',
      name: this.named(token(c, 'Name')),
      legacyPagerGroup: group[0] === undefined ? null : this.string(token(group[0].children, 'StringLiteral')),
      stage: stage[0] === undefined ? null : this.named(token(stage[0].children, 'Name')),
      targets: targets[0] === undefined ? null : this.targets(targets[0]),
      routes: nodes(c, 'routeDecl').map((r) => this.route(r)),
      ...this.settings(c),
    };
  }

  private settings(c: Children): A.RouteSettings {
    const fallbacks = nodes(c, 'fallbackDecl');
    for (const extra of fallbacks.slice(1)) {
      this.diagnostics.push(diagnostic('E117', this.spanOfNode(extra), 'only one fallback may be given here', 'keep one fallback target'));
    }
    return {
      templates: nodes(c, 'templateDecl').map((t) => this.template(node(t.children, 'channelText'))),
      lets: nodes(c, 'letDecl').map((l) => ({
        name: this.named(token(l.children, 'Name')),
        value: this.templateText(token(l.children, 'StringLiteral')),
      })),
      fallback: fallbacks[0] === undefined ? null : this.fallback(fallbacks[0]),
    };
  }

  private targets(n: CstNode): A.TargetsDecl {
    const c = n.children;
    let ackPercentile: A.TargetsDecl['ackPercentile'] = null;
    let missedAtMost: A.TargetsDecl['missedAtMost'] = null;
    let escalatedAtMost: A.TargetsDecl['escalatedAtMost'] = null;
    const metrics: A.Named[] = [];
    for (const item of nodes(c, 'targetItem')) {
      const ic = item.children;
      const [metric, qualifier] = tokens(ic, 'Name');
      metrics.push(this.named(metric!));
      const duration = tokens(ic, 'DurationLiteral')[0];
      const percent = tokens(ic, 'PercentLiteral')[0];
      const bad = (message: string, hint: string): void => {
        this.diagnostics.push(diagnostic('E116', this.spanOfNode(item), message, hint));
      };
      switch (metric!.image) {
        case 'ack':
          if (qualifier === undefined || duration === undefined) bad('an acknowledgement target is a percentile and a time', 'write: target ack p90 <= 5m');
          else ackPercentile = { percentile: this.named(qualifier), within: this.duration(duration) };
          break;
        case 'missed':
        case 'escalated':
          if (qualifier !== undefined || percent === undefined) bad(`a ${metric!.image} target is a percentage`, `write: target ${metric!.image} <= 1%`);
          else if (metric!.image === 'missed') missedAtMost = { percent: parseFloat(percent.image), span: this.spanOf(percent) };
          else escalatedAtMost = { percent: parseFloat(percent.image), span: this.spanOf(percent) };
          break;
        default:
          // The workflow pass names the unknown metric with a "did you mean".
          break;
      }
    }
    const over = tokens(c, 'DurationLiteral')[0];
    const min = tokens(c, 'NumberLiteral')[0];
    const minUnit = tokens(c, 'Name').find((t) => min !== undefined && t.startOffset > min.startOffset);
    if (minUnit !== undefined && minUnit.image !== 'pages') {
      this.diagnostics.push(diagnostic('E116', this.spanOf(minUnit), `expected "pages" after the minimum count, found "${minUnit.image}"`, 'write: min 50 pages'));
    }
    return {
      ackPercentile,
      missedAtMost,
      escalatedAtMost,
      over: over === undefined ? null : this.duration(over),
      minPages: min === undefined ? null : { count: Number(min.image), span: this.spanOf(min) },
      metrics,
      span: this.spanOfNode(n),
    };
  }

  private route(n: CstNode): A.RouteDecl {
    const c = n.children;
    const name = tokens(c, 'Name')[0];
    const expr = nodes(c, 'expr')[0];
    const repeats = nodes(c, 'repeatDecl');
    for (const extra of repeats.slice(1)) {
      this.diagnostics.push(diagnostic('E117', this.spanOfNode(extra), 'a route repeats its ladder once', 'keep one repeat line'));
    }
    const cont = tokens(c, 'Continue')[0];
    return {
      name: name === undefined ? null : this.named(name),
      condition: expr === undefined ? null : this.expr(expr),
      steps: nodes(c, 'stepDecl').map((s) => this.step(s)),
      repeat: repeats[0] === undefined ? null : this.repeat(repeats[0]),
      continueSpan: cont === undefined ? null : this.spanOf(cont),
      span: this.spanOf(token(c, 'Route')),
      ...this.settings(c),
    };
  }

  private step(n: CstNode): A.StepDecl {
    const c = n.children;
    const lists = nodes(c, 'nameList');
    const windows = [...tokens(c, 'During'), ...tokens(c, 'Outside')].sort((a, b) => a.startOffset - b.startOffset);
    const calendars = tokens(c, 'Name');
    for (const extra of windows.slice(1)) {
      this.diagnostics.push(diagnostic('E117', this.spanOf(extra), 'a step has at most one time window', 'split the step in two, one per calendar'));
    }
    const first = windows[0];
    return {
      targets: this.nameList(lists[0]!),
      channels: tokens(c, 'Via').length > 0 ? this.nameList(lists[1]!) : null,
      delay: this.duration(token(c, 'DurationLiteral')),
      unlessAcked: tokens(c, 'Unless').length > 0,
      window: first === undefined ? null : { mode: first.image === 'during' ? 'during' : 'outside', calendar: this.named(calendars[0]!) },
      span: this.spanOfNode(n),
    };
  }

  private repeat(n: CstNode): A.RepeatDecl {
    const c = n.children;
    const every = tokens(c, 'DurationLiteral')[0];
    return { times: Number(token(c, 'NumberLiteral').image), every: every === undefined ? null : this.duration(every), span: this.spanOfNode(n) };
  }

  private fallback(n: CstNode): A.FallbackDecl {
    const c = n.children;
    const names = tokens(c, 'Name');
    return {
      target: this.named(names[0]!),
      channels: c['nameList'] === undefined ? null : this.nameList(node(c, 'nameList')),
      conditions: names.slice(1).map((t) => this.named(t)),
      span: this.spanOfNode(n),
    };
  }

  private template(n: CstNode): A.TemplateDecl {
    const c = n.children;
    const strings = tokens(c, 'StringLiteral');
    const span = this.spanOfNode(n);
    if (tokens(c, 'Push').length > 0) {
      return { channel: 'push', title: this.templateText(strings[0]!), body: this.templateText(strings[1]!), span };
    }
    return { channel: channelWord(c), text: this.templateText(strings[0]!), span };
  }

  /** Splits `"Critical {test} on {unit | upper}"` into text and placeholders, each with a span. */
  templateText(t: IToken): A.TemplateText {
    const raw = t.image.slice(1, -1);
    const base = this.spanOf(t);
    const segments: A.TemplateSegment[] = [];
    let literal = '';
    let i = 0;
    while (i < raw.length) {
      if (raw.startsWith('{{', i) || raw.startsWith('}}', i)) {
        literal += raw[i];
        i += 2;
        continue;
      }
      if (raw[i] === '{') {
        const close = raw.indexOf('}', i);
        const reopened = raw.indexOf('{', i + 1);
        if (close < 0 || (reopened >= 0 && reopened < close)) {
          const end = close < 0 || reopened < close ? (reopened >= 0 ? reopened - 1 : raw.length - 1) : close;
          this.diagnostics.push(diagnostic('E115', { ...base, col: base.col + 1 + i, endCol: base.col + 1 + end }, 'placeholder is not closed', 'close it with "}", or write "{{" for a literal brace'));
          break;
        }
        if (literal !== '') segments.push({ kind: 'text', text: unescape(literal) });
        literal = '';
        const inner = raw.slice(i + 1, close);
        const span: A.Span = { file: this.file, line: base.line, col: base.col + 1 + i, endLine: base.line, endCol: base.col + 1 + close };
        const [path = '', ...filters] = inner.split('|');
        let offset = i + 1 + path.length + 1;
        segments.push({
          kind: 'ref',
          path: path.trim(),
          filters: filters.map((f) => {
            const lead = f.length - f.trimStart().length;
            const named = { name: f.trim(), span: { ...span, col: base.col + 1 + offset + lead, endCol: base.col + offset + lead + f.trim().length } };
            offset += f.length + 1;
            return named;
          }),
          span,
        });
        i = close + 1;
        continue;
      }
      literal += raw[i];
      i++;
    }
    if (literal !== '') segments.push({ kind: 'text', text: unescape(literal) });
    return { raw, segments, span: base };
  }

  // ── conditions ──────────────────────────────────────────────────────────────────────────

  expr(n: CstNode): A.Expr {
    return this.chain(nodes(n.children, 'andExpr').map((a) => this.andExpr(a)), 'or');
  }

  private andExpr(n: CstNode): A.Expr {
    return this.chain(nodes(n.children, 'unaryExpr').map((u) => this.unary(u)), 'and');
  }

  private chain(operands: A.Expr[], kind: 'and' | 'or'): A.Expr {
    return operands.slice(1).reduce((left, right) => ({ kind, left, right, span: this.between(left.span, right.span) }), operands[0]!);
  }

  private unary(n: CstNode): A.Expr {
    const c = n.children;
    const not = tokens(c, 'Not')[0];
    if (not !== undefined) {
      const operand = this.unary(node(c, 'unaryExpr'));
      return { kind: 'not', operand, span: this.between(this.spanOf(not), operand.span) };
    }
    return this.atom(node(c, 'atom'));
  }

  private atom(n: CstNode): A.Expr {
    const c = n.children;
    const span = this.spanOfNode(n);
    if (c['expr'] !== undefined) return this.expr(node(c, 'expr'));
    if (c['predicate'] !== undefined) return this.predicate(node(c, 'predicate'));
    const calendar: A.Expr = { kind: 'during', calendar: this.named(token(c, 'Name')), span };
    return tokens(c, 'Outside').length > 0 ? { kind: 'not', operand: calendar, span } : calendar;
  }

  private predicate(n: CstNode): A.Expr {
    const c = n.children;
    const field = this.fieldPath(node(c, 'fieldPath'));
    const span = this.spanOfNode(n);
    if (c['compareOp'] !== undefined) {
      const op = Object.values(node(c, 'compareOp').children).flat().filter(isToken)[0]!.image as A.CompareOp;
      return { kind: 'compare', field, op, value: this.literal(node(c, 'literal')), span };
    }
    if (c['In'] !== undefined) {
      const test: A.Expr = { kind: 'in', field, values: nodes(c, 'literal').map((l) => this.literal(l)), span };
      return tokens(c, 'Not').length > 0 ? { kind: 'not', operand: test, span } : test;
    }
    if (c['Matches'] !== undefined) {
      const t = token(c, 'RegexLiteral');
      const ignoreCase = t.image.endsWith('i');
      const source = t.image.slice(1, ignoreCase ? -2 : -1);
      return { kind: 'matches', field, pattern: { source, ignoreCase, span: this.spanOf(t) }, span };
    }
    return { kind: 'exists', field, span };
  }

  literal(n: CstNode): A.Literal {
    const c = n.children;
    const span = this.spanOfNode(n);
    const s = tokens(c, 'StringLiteral')[0];
    if (s !== undefined) return { kind: 'string', value: this.string(s).value, span };
    const num = tokens(c, 'NumberLiteral')[0];
    if (num !== undefined) return { kind: 'number', value: (tokens(c, 'Dash').length > 0 ? -1 : 1) * Number(num.image), span };
    return { kind: 'word', value: token(c, 'Name').image, span };
  }

  // ── tests ───────────────────────────────────────────────────────────────────────────────

  private test(n: CstNode, c: Children): A.TestDecl {
    const ats = nodes(c, 'atClause');
    for (const extra of ats.slice(1)) {
      this.diagnostics.push(diagnostic('E118', this.spanOfNode(extra), 'a test happens at one instant', 'keep one "at" line'));
    }
    return {
      kind: 'test',
      name: this.string(token(c, 'StringLiteral')),
      alert: nodes(c, 'alertBlock').flatMap((b) =>
        nodes(b.children, 'alertEntry').map((e) => {
          const ec = e.children;
          const dt = tokens(ec, 'DateTimeLiteral')[0];
          return {
            field: this.fieldPath(node(ec, 'fieldPath')),
            value: dt !== undefined ? this.dateTime(dt, null) : this.literal(node(ec, 'literal')),
          };
        }),
      ),
      at: ats[0] === undefined ? null : this.dateTime(token(ats[0].children, 'DateTimeLiteral'), tokens(ats[0].children, 'StringLiteral')[0] ?? null),
      given: nodes(c, 'givenClause').map((g) => ({
        role: this.named(token(g.children, 'Name', 0)),
        state: this.named(token(g.children, 'Name', 1)),
      })),
      expectations: nodes(c, 'expectation').map((e) => this.expectation(e)),
      span: this.spanOfNode(n),
    };
  }

  private dateTime(t: IToken, zone: IToken | null): A.DateTimeLit {
    return { kind: 'datetime', text: t.image, zone: zone === null ? null : this.string(zone), span: this.spanOf(t) };
  }

  private expectation(n: CstNode): A.Expectation {
    const c = n.children;
    const span = this.spanOfNode(n);
    if (c['Workflow'] !== undefined) return { kind: 'workflow', name: this.named(token(c, 'Name')), span };
    if (c['Route'] !== undefined) return { kind: 'route', name: this.named(token(c, 'Name')), span };
    if (c['No'] !== undefined) return { kind: 'no-match', span };
    if (c['First'] !== undefined) {
      const lists = nodes(c, 'nameList');
      return { kind: 'first-notify', targets: this.nameList(lists[0]!), channels: c['Via'] === undefined ? null : this.nameList(lists[1]!), span };
    }
    const text = node(c, 'channelText');
    const tc = text.children;
    const channel: A.TemplateChannel = tc['Push'] !== undefined ? 'push' : channelWord(tc);
    return { kind: 'text', channel, texts: tokens(tc, 'StringLiteral').map((s) => this.string(s)), span };
  }
}

function channelWord(c: Children): 'sms' | 'voice' | 'pager' | 'detail' {
  if (c['Sms'] !== undefined) return 'sms';
  if (c['Voice'] !== undefined) return 'voice';
  if (c['Pager'] !== undefined) return 'pager';
  return 'detail';
}

function unescape(s: string): string {
  return s.replace(/\\(.)/g, (_, ch: string) => ({ n: '\n', t: '\t' })[ch] ?? ch);
}

export function isCalendarDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (match === null) return false;
  const [, y, m, d] = match.map(Number) as [number, number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}
