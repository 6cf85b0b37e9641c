// k6's thresholds for the Node load harness: where k6 is not installed, the harness measures the
// same scenarios (scenarios.js) and judges them by the same threshold expressions, so a run
// passes or fails on the same terms either way. The expression syntax and the arithmetic follow
// k6's own code (metrics/thresholds_parser.go, thresholds.go and sink.go in grafana/k6):
//
//   assertion          -> aggregation_method whitespace* operator whitespace* float
//   aggregation_method -> trend: avg | min | max | med | p(float); rate: rate; counter: count | rate; gauge: value
//   operator           -> > | >= | <= | < | == | === | !=
//
// One deliberate difference: k6 evaluates a metric without samples as zeros, so `p(99)<250` or
// `value<250` pass when nothing was measured. Here a metric that is absent, a trend without
// samples and a rate without samples fail, with `actual` null.

export type MetricValues =
  | { readonly type: 'trend'; readonly values: readonly number[] } // ms samples (http_req_duration)
  | { readonly type: 'rate'; readonly trues: number; readonly total: number } // http_req_failed
  | { readonly type: 'counter'; readonly count: number; readonly durationS: number } // http_reqs
  | { readonly type: 'gauge'; readonly value: number };

export interface ThresholdResult {
  readonly metric: string;
  readonly expression: string;
  readonly actual: number | null;
  readonly ok: boolean;
}

export type ThresholdOperator = '<' | '<=' | '>' | '>=' | '==' | '===' | '!=';

export type Aggregation =
  | { readonly method: 'avg' | 'min' | 'max' | 'med' | 'rate' | 'count' | 'value' }
  | { readonly method: 'percentile'; readonly percentile: number };

export interface ParsedThreshold {
  readonly aggregation: Aggregation;
  readonly operator: ThresholdOperator;
  readonly value: number;
}

// k6 splits on the first operator of this list found anywhere in the expression, so the longer
// tokens come before the shorter ones they contain.
const operatorTokens: readonly ThresholdOperator[] = ['<=', '<', '>=', '>', '===', '==', '!='];

const keywordMethods = ['avg', 'min', 'max', 'med', 'rate', 'count', 'value'] as const;

const methodsByType: Readonly<Record<MetricValues['type'], readonly Aggregation['method'][]>> = {
  trend: ['avg', 'min', 'max', 'med', 'percentile'],
  rate: ['rate'],
  counter: ['count', 'rate'],
  gauge: ['value'],
};

// strconv.ParseFloat takes more (hex, "Inf", underscores), but thresholds are written in decimals.
const decimal = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** Parses one k6 threshold expression such as `p(99)<250`; throws on anything k6 would refuse. */
export function parseThreshold(expression: string): ParsedThreshold {
  const operator = operatorTokens.find((op) => expression.includes(op));
  if (operator === undefined) throw new Error(`threshold "${expression}": no operator (one of ${operatorTokens.join(' ')})`);
  const at = expression.indexOf(operator);
  const left = expression.slice(0, at).trim();
  const right = expression.slice(at + operator.length).trim();
  if (!decimal.test(right)) throw new Error(`threshold "${expression}": "${right}" is not a number`);
  return { aggregation: parseAggregation(left, expression), operator, value: Number(right) };
}

/**
 * Evaluates every threshold against the measured metrics, keyed by the thresholds' own keys
 * (`http_req_duration{scenario:steady}`). Throws when an expression does not parse or asks a
 * metric for an aggregation its type has not (k6 refuses to start on both).
 */
export function evaluateThresholds(thresholds: Readonly<Record<string, readonly string[]>>, metrics: ReadonlyMap<string, MetricValues>): ThresholdResult[] {
  const results: ThresholdResult[] = [];
  for (const [metric, expressions] of Object.entries(thresholds)) {
    const values = metrics.get(metric);
    const trend = values?.type === 'trend' ? sortedTrend(values.values) : null;
    for (const expression of expressions) {
      const parsed = parseThreshold(expression);
      if (values === undefined) {
        results.push({ metric, expression, actual: null, ok: false });
        continue;
      }
      const actual = aggregate(values, trend, parsed.aggregation, metric, expression);
      results.push({ metric, expression, actual, ok: actual !== null && compare(actual, parsed.operator, parsed.value) });
    }
  }
  return results;
}

function parseAggregation(text: string, expression: string): Aggregation {
  const keyword = keywordMethods.find((m) => m === text);
  if (keyword !== undefined) return { method: keyword };
  if (text.startsWith('p(') && text.endsWith(')')) {
    const inner = text.slice(2, -1);
    const percentile = Number(inner);
    if (!decimal.test(inner) || percentile < 0 || percentile > 100) throw new Error(`threshold "${expression}": "${inner}" is not a percentile between 0 and 100`);
    return { method: 'percentile', percentile };
  }
  throw new Error(`threshold "${expression}": unknown aggregation "${text}" (avg, min, max, med, p(N), rate, count or value)`);
}

/** The metric's figure for the aggregation; null when the metric has no samples to take it from. */
function aggregate(values: MetricValues, sorted: readonly number[] | null, aggregation: Aggregation, metric: string, expression: string): number | null {
  if (!methodsByType[values.type].includes(aggregation.method)) {
    throw new Error(`threshold "${expression}" on ${metric}: a ${values.type} has no ${aggregation.method} (only ${methodsByType[values.type].join(', ')})`);
  }
  switch (values.type) {
    case 'trend':
      return sorted === null || sorted.length === 0 ? null : trendFigure(sorted, aggregation);
    case 'rate':
      return values.total === 0 ? null : values.trues / values.total;
    case 'counter':
      // k6 divides by the whole test run's duration, for a scenario's sub-metric as well.
      return aggregation.method === 'count' ? values.count : values.count / values.durationS;
    case 'gauge':
      return values.value;
  }
}

function trendFigure(sorted: readonly number[], aggregation: Aggregation): number {
  switch (aggregation.method) {
    case 'min':
      return sorted[0]!;
    case 'max':
      return sorted[sorted.length - 1]!;
    case 'avg':
      return sorted.reduce((sum, v) => sum + v, 0) / sorted.length;
    case 'med':
      return percentileOf(sorted, 0.5);
    case 'percentile':
      return percentileOf(sorted, aggregation.percentile / 100);
    default:
      throw new Error(`a trend has no ${aggregation.method}`);
  }
}

/**
 * k6's TrendSink.P (0 ≤ p ≤ 1) of samples sorted ascending: the value at rank p·(n−1),
 * interpolated linearly between the two closest ranks. For the harness's summaries too, so that
 * they show what k6's would.
 */
export function percentileOf(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new Error('no samples to take a percentile of');
  if (sorted.length === 1) return sorted[0]!;
  const rank = p * (sorted.length - 1);
  const below = sorted[Math.floor(rank)]!;
  const above = sorted[Math.ceil(rank)]!;
  return below + (above - below) * (rank - Math.floor(rank));
}

function sortedTrend(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

function compare(actual: number, operator: ThresholdOperator, value: number): boolean {
  switch (operator) {
    case '<':
      return actual < value;
    case '<=':
      return actual <= value;
    case '>':
      return actual > value;
    case '>=':
      return actual >= value;
    // Both are float equality in k6: an aggregate is always a number.
    case '==':
    case '===':
      return actual === value;
    case '!=':
      return actual !== value;
  }
}
