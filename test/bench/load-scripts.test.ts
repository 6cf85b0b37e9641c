// The load benchmarks' shared pieces, checked without k6 (it is not installed where the suite
// runs): the /metrics reader (bench/load/prometheus.js) against the gateway's own Prometheus
// registry, the scenarios' thresholds against the metrics k6 and the Node harness produce, the
// threshold arithmetic against k6's, and the k6 scripts' lifecycle against fake k6 modules and a
// fake gateway.
import { Counter, Histogram, Registry } from 'prom-client';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDispatchMetrics, type DispatchMetrics } from '../../src/dispatch/metrics.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { diffHistogram, gatewayFigures, gatewayGaugeValues, histogramQuantile, parseCounter, parseHistogram, type Histogram as PromHistogram } from '../../bench/load/prometheus.js';
import { alertBody, scenarios, stepSeconds } from '../../bench/load/scenarios.js';
import { evaluateThresholds, parseThreshold, percentileOf, type MetricValues } from '../../bench/load/thresholds.js';

const a2f = 'pagerless_alert_to_first_notification_seconds';
const lateness = 'pagerless_escalation_lateness_seconds';
const pagesOpened = 'pagerless_pages_opened_total';

/** Bucket bounds fixed here, so that the quantiles have exact answers whatever buckets the gateway uses. */
const knownBounds = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30];

/** The gateway's three figures under their names, with known buckets. */
function knownRegistry(): { registry: Registry; alertToChannel: Histogram; escalationLateness: Histogram; opened: Counter<'workflow'> } {
  const registry = new Registry();
  return {
    registry,
    alertToChannel: new Histogram({ name: a2f, help: 'a2f', buckets: knownBounds, registers: [registry] }),
    escalationLateness: new Histogram({ name: lateness, help: 'lateness', buckets: knownBounds, registers: [registry] }),
    opened: new Counter({ name: pagesOpened, help: 'opened', labelNames: ['workflow'] as const, registers: [registry] }),
  };
}

/** The gateway's registry as it builds it: its buckets, and the process metrics (labelled histograms, NaN gauges) around them. */
function gatewayRegistry(): { registry: Registry; dispatch: DispatchMetrics } {
  const { registry } = createMetrics();
  return { registry, dispatch: createDispatchMetrics(registry) };
}

/** 1 ms, 2 ms … n ms: k/1000 is the double closest to each, so none slips into the next bucket. */
function milliseconds(n: number): number[] {
  return Array.from({ length: n }, (_, k) => (k + 1) / 1000);
}

describe('reading the gateway figures from /metrics', () => {
  it('reads back the dispatch histogram of 100 alerts, bucket by bucket, from the gateway\'s own registry', async () => {
    const { registry, dispatch } = gatewayRegistry();
    const observed = milliseconds(100);
    for (const s of observed) dispatch.alertToChannel.observe(s);
    const h = parseHistogram(await registry.metrics(), a2f)!;
    expect(h.count).toBe(100);
    expect(h.sum).toBeCloseTo(5.05, 9);
    expect(h.buckets.at(-1)!.le).toBe(Infinity);
    expect(h.buckets.map((b) => b.le)).toEqual([...h.buckets.map((b) => b.le)].sort((a, b) => a - b));
    for (const b of h.buckets) expect(b.count, `le=${b.le}`).toBe(observed.filter((v) => v <= b.le).length);
  });

  it('puts the p50, p95 and p99 of the gateway\'s dispatch histogram within the bucket of the exact values', async () => {
    const { registry, dispatch } = gatewayRegistry();
    const observed = milliseconds(100);
    for (const s of observed) dispatch.alertToChannel.observe(s);
    const h = parseHistogram(await registry.metrics(), a2f)!;
    for (const q of [0.5, 0.95, 0.99]) {
      // The bucket the exact value is in, edges included: at a rank on a bucket's edge the estimate is that edge.
      const exact = percentileOf(observed, q);
      const at = h.buckets.findIndex((b) => exact <= b.le);
      const estimate = histogramQuantile(h, q)!;
      expect(estimate, `q=${q}`).toBeGreaterThanOrEqual(at === 0 ? 0 : h.buckets[at - 1]!.le);
      expect(estimate, `q=${q}`).toBeLessThanOrEqual(h.buckets[at]!.le);
    }
  });

  it('interpolates the quantiles inside their bucket as histogram_quantile does', async () => {
    const { registry, alertToChannel } = knownRegistry();
    for (const s of milliseconds(100)) alertToChannel.observe(s);
    const h = parseHistogram(await registry.metrics(), a2f)!;
    expect(h.buckets.map((b) => [b.le, b.count])).toEqual([
      [0.001, 1], [0.002, 2], [0.005, 5], [0.01, 10], [0.02, 20], [0.05, 50], [0.1, 100],
      [0.2, 100], [0.5, 100], [1, 100], [2, 100], [5, 100], [10, 100], [30, 100], [Infinity, 100],
    ]);
    // Rank 99 of 100 falls in (50 ms, 100 ms], which holds 50 observations: 50 + 50 × 49/50.
    expect(histogramQuantile(h, 0.99)).toBeCloseTo(0.099, 12);
    expect(histogramQuantile(h, 0.95)).toBeCloseTo(0.095, 12);
    expect(histogramQuantile(h, 0.5)).toBeCloseTo(0.05, 12);
    // Rank 1.5 falls in (1 ms, 2 ms], which holds 1: 1 + 1 × 0.5/1.
    expect(histogramQuantile(h, 0.015)).toBeCloseTo(0.0015, 12);
  });

  it('answers the highest finite bound when the quantile falls in the +Inf bucket, and null when nothing was observed', async () => {
    const { registry, alertToChannel } = knownRegistry();
    expect(histogramQuantile(parseHistogram(await registry.metrics(), a2f)!, 0.99)).toBeNull();
    for (let i = 0; i < 10; i++) alertToChannel.observe(i < 5 ? 0.003 : 45);
    const h = parseHistogram(await registry.metrics(), a2f)!;
    expect(histogramQuantile(h, 0.99)).toBe(30);
    // Rank 5: all five in (2 ms, 5 ms].
    expect(histogramQuantile(h, 0.5)).toBeCloseTo(0.005, 12);
    expect(() => histogramQuantile(h, 1.5)).toThrow(/between 0 and 1/);
  });

  it('sums a histogram and a counter over their label sets, label values with quotes and commas included', async () => {
    const { registry, dispatch } = gatewayRegistry();
    const odd = 'a "quoted", {odd} one';
    dispatch.ackTime.observe({ workflow: 'critical-results' }, 20);
    dispatch.ackTime.observe({ workflow: odd }, 100);
    dispatch.ackTime.observe({ workflow: odd }, 100_000);
    dispatch.pagesOpened.inc({ workflow: 'critical-results' }, 7);
    dispatch.pagesOpened.inc({ workflow: odd }, 3);
    const text = await registry.metrics();
    const h = parseHistogram(text, 'pagerless_acknowledgement_seconds')!;
    expect(h.count).toBe(3);
    expect(h.sum).toBe(100_120);
    for (const b of h.buckets) expect(b.count, `le=${b.le}`).toBe([20, 100, 100_000].filter((v) => v <= b.le).length);
    expect(parseCounter(text, pagesOpened)).toBe(10);
  });

  it('tells an absent histogram (null) and an absent counter (0) from present ones', async () => {
    const { registry } = gatewayRegistry();
    const text = await registry.metrics();
    expect(parseHistogram(text, 'pagerless_no_such_seconds')).toBeNull();
    expect(parseHistogram(text, a2f)!.count).toBe(0);
    expect(parseCounter(text, pagesOpened)).toBe(0);
  });

  it('reads timestamps, comments, NaN and escaped label values in hand-written exposition text', () => {
    const text = [
      '# HELP x_seconds a histogram',
      '# TYPE x_seconds histogram',
      'x_seconds_bucket{path="/a,b",le="0.5"} 2 1700000000000',
      'x_seconds_bucket{le="+Inf",path="/a,b"} 3',
      'x_seconds_bucket{ path = "say \\"hi\\"\\n" , le="0.5" , } 1',
      'x_seconds_bucket{path="say \\"hi\\"\\n",le="+Inf"} 1',
      'x_seconds_sum 2.25',
      'x_seconds_count 4',
      'other_gauge NaN',
      'x_total{} 5',
      '# EOF',
    ].join('\n');
    expect(parseHistogram(text, 'x_seconds')).toEqual({ buckets: [{ le: 0.5, count: 3 }, { le: Infinity, count: 4 }], sum: 2.25, count: 4 });
    expect(parseCounter(text, 'x_total')).toBe(5);
    expect(() => parseHistogram('x_seconds_bucket{le="0.5" 2', 'x_seconds')).toThrow(/malformed labels/);
  });

  it('keeps only the observations made between two snapshots', async () => {
    const { registry, dispatch } = gatewayRegistry();
    for (let i = 0; i < 10; i++) dispatch.alertToChannel.observe(2);
    const before = parseHistogram(await registry.metrics(), a2f)!;
    for (const s of milliseconds(100)) dispatch.alertToChannel.observe(s);
    const after = parseHistogram(await registry.metrics(), a2f)!;

    const between = diffHistogram(after, before);
    const alone = gatewayRegistry();
    for (const s of milliseconds(100)) alone.dispatch.alertToChannel.observe(s);
    const expected = parseHistogram(await alone.registry.metrics(), a2f)!;
    expect(between.count).toBe(100);
    expect(between.sum).toBeCloseTo(expected.sum, 9);
    expect(between.buckets).toEqual(expected.buckets);
    expect(histogramQuantile(between, 0.99)).toBe(histogramQuantile(expected, 0.99));
    expect(diffHistogram(after, null)).toEqual(after);
  });

  it('refuses to difference snapshots across a gateway restart', () => {
    const later: PromHistogram = { buckets: [{ le: 1, count: 1 }, { le: Infinity, count: 1 }], sum: 0.5, count: 1 };
    const earlier: PromHistogram = { buckets: [{ le: 1, count: 5 }, { le: Infinity, count: 5 }], sum: 2, count: 5 };
    expect(() => diffHistogram(later, earlier)).toThrow(/restarted/);
  });

  it('works out the gauges the thresholds judge, in milliseconds, from two snapshots', async () => {
    const { registry, alertToChannel, opened } = knownRegistry();
    alertToChannel.observe(9);
    opened.inc({ workflow: 'drill' }, 1);
    const before = await registry.metrics();
    for (const s of milliseconds(100)) alertToChannel.observe(s);
    opened.inc({ workflow: 'drill' }, 100);
    opened.inc({ workflow: 'consults' }, 3);
    const figures = gatewayFigures(before, await registry.metrics());

    expect(figures.pagesOpened).toBe(103);
    expect(figures.alertToFirstNotification.count).toBe(100);
    expect(figures.alertToFirstNotification.p50).toBeCloseTo(50, 9);
    expect(figures.alertToFirstNotification.p95).toBeCloseTo(95, 9);
    expect(figures.alertToFirstNotification.p99).toBeCloseTo(99, 9);
    expect(figures.escalationLateness).toEqual({ count: 0, p50: null, p95: null, p99: null });
    const gauges = gatewayGaugeValues(figures);
    expect(gauges.gateway_alert_to_first_notification_p99_ms).toBeCloseTo(99, 9);
    // No escalation fired: unmeasured, not 0 (which would pass `value<100`).
    expect(gauges.gateway_escalation_lateness_p99_ms).toBeNull();
    expect(gauges.gateway_pages_not_dispatched).toBe(3);
  });

  it('reads the same figures from the gateway\'s own registry', async () => {
    const { registry, dispatch } = gatewayRegistry();
    const before = await registry.metrics();
    for (const s of milliseconds(100)) dispatch.alertToChannel.observe(s);
    for (let i = 0; i < 50; i++) dispatch.escalationLateness.observe(0.004);
    dispatch.pagesOpened.inc({ workflow: 'drill' }, 100);
    const figures = gatewayFigures(before, await registry.metrics());
    expect(figures.alertToFirstNotification.count).toBe(100);
    expect(figures.escalationLateness.count).toBe(50);
    expect(figures.pagesOpened).toBe(100);
    expect(gatewayGaugeValues(figures).gateway_pages_not_dispatched).toBe(0);
  });
});

// ── the scenarios' thresholds ───────────────────────────────────────────────────────────────

/** The metrics the thresholds may name: k6's built-ins the Node harness reproduces, and the gateway's figures. */
const metricTypes: Readonly<Record<string, MetricValues['type']>> = {
  http_req_duration: 'trend',
  http_req_failed: 'rate',
  http_reqs: 'counter',
  ...Object.fromEntries(Object.keys(gatewayGaugeValues({ alertToFirstNotification: noFigures(), escalationLateness: noFigures(), pagesOpened: 0 })).map((name) => [name, 'gauge' as const])),
};

function noFigures() {
  return { count: 0, p50: null, p95: null, p99: null };
}

function sampleValues(type: MetricValues['type']): MetricValues {
  switch (type) {
    case 'trend':
      return { type, values: [1, 2, 3] };
    case 'rate':
      return { type, trues: 0, total: 3 };
    case 'counter':
      return { type, count: 3, durationS: 1 };
    case 'gauge':
      return { type, value: 1 };
  }
}

/** `http_req_duration{scenario:steady}` → its name and tags. */
function metricKey(key: string): { name: string; tags: Record<string, string> } {
  const m = /^([a-zA-Z_][a-zA-Z0-9_]*)(?:\{(.*)\})?$/.exec(key);
  if (m === null) throw new Error(`not a threshold key: ${key}`);
  const tags = Object.fromEntries((m[2] ?? '').split(',').filter((t) => t !== '').map((t) => t.split(':').map((s) => s.trim()) as [string, string]));
  return { name: m[1]!, tags };
}

function seconds(duration: unknown): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(String(duration));
  if (m === null) throw new Error(`not a k6 duration: ${String(duration)}`);
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

describe('the scenarios of the load benchmarks', () => {
  const all = Object.entries(scenarios);

  it('has the four scenarios of the issue, each with phases and thresholds', () => {
    expect(Object.keys(scenarios).sort()).toEqual(['ack', 'mixed', 'steady', 'storm']);
    expect(stepSeconds).toBeGreaterThan(0);
    expect(alertBody(7)).toEqual({ alert: { priority: 'stat', test: 'K', unit: 'U7', patient: { name: 'Jane Roe' } } });
    for (const [, s] of all) {
      expect(Object.keys(s.phases).length).toBeGreaterThan(0);
      expect(Object.keys(s.thresholds).length).toBeGreaterThan(0);
    }
  });

  it.each(all)('%s: every threshold parses, names a metric that is produced, with an aggregation its type has, filtered by one of its own phases', (_, s) => {
    for (const [key, expressions] of Object.entries(s.thresholds)) {
      const { name, tags } = metricKey(key);
      const type = metricTypes[name];
      expect(type, `${key} is neither a k6 metric the harness reproduces nor a gateway figure`).toBeDefined();
      for (const [tag, value] of Object.entries(tags)) {
        expect(tag).toBe('scenario');
        expect(Object.keys(s.phases)).toContain(value);
      }
      for (const expression of expressions) expect(() => parseThreshold(expression)).not.toThrow();
      expect(() => evaluateThresholds({ [key]: expressions }, new Map([[key, sampleValues(type!)]]))).not.toThrow();
    }
  });

  it.each(all)('%s: every phase is a k6 executor with the options it requires, making a request the scripts know', (_, s) => {
    const required: Readonly<Record<string, readonly string[]>> = {
      'constant-arrival-rate': ['rate', 'timeUnit', 'duration', 'preAllocatedVUs'],
      'shared-iterations': ['vus', 'iterations'],
    };
    for (const [name, phase] of Object.entries(s.phases)) {
      // The objects as scenarios.js builds them, not as scenarios.d.ts says they are.
      const options = new Map<string, unknown>(Object.entries(phase));
      expect(name).toMatch(/^[0-9a-zA-Z_-]+$/);
      expect(['alert', 'ack', 'read']).toContain(options.get('exec'));
      expect(Object.keys(required)).toContain(options.get('executor'));
      for (const option of required[phase.executor]!) expect(options.get(option), `${name}.${option}`).toBeDefined();
      for (const option of ['duration', 'timeUnit', 'startTime', 'maxDuration']) if (options.has(option)) seconds(options.get(option));
    }
  });

  it.each(all)('%s: raises at least as many pages before the run as its acks and reads use, so no page is acknowledged twice', (_, s) => {
    const uses = Object.values(s.phases)
      .filter((p) => p.exec === 'ack' || p.exec === 'read')
      .map((p) => (p.executor === 'constant-arrival-rate' ? (p.rate * seconds(p.duration)) / seconds(p.timeUnit) : p.iterations));
    if (uses.length === 0) return;
    expect(s.ackPages).toBeDefined();
    for (const n of uses) expect(n).toBeLessThanOrEqual(s.ackPages!);
  });
});

// ── threshold arithmetic ────────────────────────────────────────────────────────────────────

const oneToHundred: MetricValues = { type: 'trend', values: Array.from({ length: 100 }, (_, i) => 100 - i) };

function judge(expression: string, values: MetricValues) {
  const [result] = evaluateThresholds({ m: [expression] }, new Map([['m', values]]));
  return result!;
}

describe('k6 thresholds, evaluated as k6 does', () => {
  it('takes a trend\'s percentiles by linear interpolation between the closest ranks, whatever order the samples came in', () => {
    // Rank 0.99 × 99 = 98.01: between the 99th and 100th samples.
    expect(judge('p(99)<250', oneToHundred)).toEqual({ metric: 'm', expression: 'p(99)<250', actual: expect.closeTo(99.01, 9), ok: true });
    expect(judge('p(99)<99', oneToHundred).ok).toBe(false);
    expect(judge('p(99.9)>99.9', oneToHundred).actual).toBeCloseTo(99.901, 9);
    expect(judge('p(50)==50.5', oneToHundred).ok).toBe(true);
    expect(judge('med==50.5', oneToHundred).ok).toBe(true);
    expect(judge('avg==50.5', oneToHundred).ok).toBe(true);
    expect(judge('min==1', oneToHundred).ok).toBe(true);
    expect(judge('max==100', oneToHundred).ok).toBe(true);
    expect(judge('p(0)==1', oneToHundred).ok).toBe(true);
    expect(judge('p(100)==100', oneToHundred).ok).toBe(true);
    expect(percentileOf([42], 0.99)).toBe(42);
  });

  it('judges a rate, a counter\'s count and rate, and a gauge\'s value', () => {
    expect(judge('rate==0', { type: 'rate', trues: 0, total: 5000 })).toMatchObject({ actual: 0, ok: true });
    expect(judge('rate==0', { type: 'rate', trues: 1, total: 5000 })).toMatchObject({ actual: 0.0002, ok: false });
    expect(judge('count==5000', { type: 'counter', count: 5000, durationS: 40 })).toMatchObject({ actual: 5000, ok: true });
    expect(judge('count==5000', { type: 'counter', count: 4999, durationS: 40 }).ok).toBe(false);
    expect(judge('rate>=125', { type: 'counter', count: 5000, durationS: 40 })).toMatchObject({ actual: 125, ok: true });
    expect(judge('value<250', { type: 'gauge', value: 249.9 }).ok).toBe(true);
    expect(judge('value<250', { type: 'gauge', value: 250 }).ok).toBe(false);
    expect(judge('value==0', { type: 'gauge', value: 0 }).ok).toBe(true);
  });

  const operatorCases: [string, boolean][] = [
    ['value<2', false], ['value<3', true], ['value<=2', true], ['value<=1.5', false], ['value>1', true], ['value>2', false],
    ['value>=2', true], ['value>=2.5', false], ['value==2', true], ['value===2', true], ['value===3', false], ['value!=2', false], ['value!=3', true],
  ];
  it.each(operatorCases)('a gauge at 2: %s is %s', (expression, ok) => {
    expect(judge(expression, { type: 'gauge', value: 2 }).ok).toBe(ok);
  });

  it('fails, with no actual value, a threshold on a metric that was not measured or has no samples', () => {
    expect(evaluateThresholds({ 'http_req_duration{scenario:steady}': ['p(99)<250'] }, new Map())).toEqual([
      { metric: 'http_req_duration{scenario:steady}', expression: 'p(99)<250', actual: null, ok: false },
    ]);
    expect(judge('p(99)<250', { type: 'trend', values: [] })).toMatchObject({ actual: null, ok: false });
    expect(judge('rate==0', { type: 'rate', trues: 0, total: 0 })).toMatchObject({ actual: null, ok: false });
  });

  it('parses as k6 does, spaces around the operator included, and refuses what k6 refuses', () => {
    expect(parseThreshold('rate==0')).toEqual({ aggregation: { method: 'rate' }, operator: '==', value: 0 });
    expect(parseThreshold(' p(95) <= 1.5e3 ')).toEqual({ aggregation: { method: 'percentile', percentile: 95 }, operator: '<=', value: 1500 });
    expect(parseThreshold('count===5000').operator).toBe('===');
    expect(parseThreshold('value != -1')).toEqual({ aggregation: { method: 'value' }, operator: '!=', value: -1 });
    for (const bad of ['p99<250', 'p( 99)<250', 'p(101)<1', 'mean<3', 'avg 250', 'avg<', 'avg<fast', 'value!==0', '']) {
      expect(() => parseThreshold(bad), bad).toThrow(/threshold/);
    }
  });

  it('refuses an aggregation the metric\'s type has not, as k6 does at start', () => {
    expect(() => judge('count<5', oneToHundred)).toThrow(/a trend has no count/);
    expect(() => judge('p(99)<5', { type: 'rate', trues: 0, total: 1 })).toThrow(/a rate has no percentile/);
    expect(() => judge('value<5', { type: 'counter', count: 1, durationS: 1 })).toThrow(/a counter has no value/);
  });
});

// ── the k6 scripts, on fake k6 modules and a fake gateway ───────────────────────────────────

interface FakeParams {
  readonly headers?: Readonly<Record<string, string>>;
  readonly tags?: Readonly<Record<string, string>>;
}
interface FakeRequest {
  readonly method: string;
  readonly url: string;
  readonly body: string | null;
  readonly params: FakeParams;
}
interface FakeResponse {
  readonly status: number;
  readonly body: string;
  json(selector?: string): unknown;
}

const k6 = vi.hoisted(() => ({
  env: {} as Record<string, string>,
  iterationInTest: 0,
  requests: [] as FakeRequest[],
  checks: [] as { name: string; ok: boolean }[],
  sleeps: [] as number[],
  gauges: new Map<string, number[]>(),
  handle: (_req: FakeRequest): { status: number; body: string } => ({ status: 503, body: '' }),
  onSleep: (_seconds: number): void => undefined,
}));

vi.mock('k6/http', () => {
  const request = (method: string, url: string, body: string | null, params: FakeParams = {}): FakeResponse => {
    k6.requests.push({ method, url, body, params });
    const answer = k6.handle({ method, url, body, params });
    return {
      ...answer,
      json: (selector?: string) => (selector ?? '').split('.').filter((p) => p !== '').reduce<unknown>((v, p) => (v as Record<string, unknown>)[p], JSON.parse(answer.body)),
    };
  };
  return {
    default: {
      request,
      get: (url: string, params?: FakeParams) => request('GET', url, null, params),
      post: (url: string, body: string, params?: FakeParams) => request('POST', url, body, params),
      batch: (requests: [string, string, string | null, FakeParams][]) => requests.map((r) => request(...r)),
    },
  };
});
vi.mock('k6', () => ({
  check: (res: FakeResponse, sets: Record<string, (r: FakeResponse) => boolean>) => {
    let all = true;
    for (const [name, predicate] of Object.entries(sets)) {
      const ok = predicate(res);
      k6.checks.push({ name, ok });
      all &&= ok;
    }
    return all;
  },
  sleep: (s: number) => {
    k6.sleeps.push(s);
    k6.onSleep(s);
  },
}));
vi.mock('k6/execution', () => ({
  default: {
    scenario: {
      get iterationInTest() {
        return k6.iterationInTest;
      },
    },
  },
}));
vi.mock('k6/metrics', () => ({
  Gauge: class {
    constructor(private readonly name: string) {}
    add(value: number) {
      k6.gauges.set(this.name, [...(k6.gauges.get(this.name) ?? []), value]);
    }
  },
}));

const fakeBounds = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, Infinity];

function histogramText(name: string, values: readonly number[]): string {
  const buckets = fakeBounds.map((le) => `${name}_bucket{le="${le === Infinity ? '+Inf' : le}"} ${values.filter((v) => v <= le).length}`);
  return [...buckets, `${name}_sum ${values.reduce((s, v) => s + v, 0)}`, `${name}_count ${values.length}`].join('\n');
}

/**
 * A gateway that opens a page per alert, hands its first notification to a channel (after
 * `dispatchS`) only when time passes (a k6 sleep), and fires each dispatched page's escalation,
 * `escalationLateS` late, at the next sleep after that.
 */
class FakeGateway {
  private readonly pending: string[] = [];
  private readonly dispatched: string[] = [];
  private readonly a2f: number[] = [];
  private readonly late: number[] = [];
  private opened = 0;

  constructor(private readonly timing: { dispatchS: number; escalationLateS: number }) {}

  handle(req: FakeRequest): { status: number; body: string } {
    const path = new URL(req.url).pathname;
    if (req.method === 'GET' && path === '/metrics') return { status: 200, body: this.metrics() };
    if (req.method === 'POST' && path === '/v1/alerts') {
      const id = `00000000-0000-4000-8000-${String(++this.opened).padStart(12, '0')}`;
      this.pending.push(id);
      return { status: 202, body: JSON.stringify({ alert: { id: 'a' }, page: { id, workflow: 'drill' } }) };
    }
    if (/^\/v1\/pages\/[0-9a-f-]{36}(\/ack)?$/.test(path)) return { status: 200, body: '{}' };
    return { status: 404, body: '{}' };
  }

  timePasses(): void {
    this.late.push(...this.dispatched.splice(0).map(() => this.timing.escalationLateS));
    for (const id of this.pending.splice(0)) {
      this.a2f.push(this.timing.dispatchS);
      this.dispatched.push(id);
    }
  }

  private metrics(): string {
    return [histogramText(a2f, this.a2f), histogramText(lateness, this.late), `pagerless_pages_opened_total{workflow="drill"} ${this.opened}`, ''].join('\n');
  }
}

interface Summary {
  readonly stdout: string;
  readonly [file: string]: string;
}
interface ScriptModule {
  readonly options: { scenarios: unknown; thresholds: unknown; summaryTrendStats: string[] };
  setup(): { metricsBefore: string; pageIds: string[] };
  teardown(data: unknown): void;
  handleSummary(data: unknown): Summary;
  readonly [exec: string]: unknown;
}

async function loadScript(name: string): Promise<ScriptModule> {
  return (await import(new URL(`../../bench/load/k6/${name}.js`, import.meta.url).href)) as ScriptModule;
}

function run(script: ScriptModule, exec: string, data: unknown, iterations: number): void {
  const fn = script[exec] as (data: unknown) => void;
  for (let i = 0; i < iterations; i++) {
    k6.iterationInTest = i;
    fn(data);
  }
}

function lastGauge(name: string): number | undefined {
  return k6.gauges.get(name)?.at(-1);
}

function useGateway(timing: { dispatchS: number; escalationLateS: number }): FakeGateway {
  const gateway = new FakeGateway(timing);
  k6.handle = (req) => gateway.handle(req);
  k6.onSleep = () => gateway.timePasses();
  return gateway;
}

describe('the k6 scripts', () => {
  vi.stubGlobal('__ENV', k6.env);
  beforeEach(() => {
    for (const key of Object.keys(k6.env)) delete k6.env[key];
    Object.assign(k6.env, { BASE_URL: 'http://gateway.test/', API_KEY: 'lab-key', ACK_KEY: 'provider-key', ADMIN_KEY: 'ops-key', SUMMARY_FILE: 'summary.json' });
    k6.requests.length = 0;
    k6.checks.length = 0;
    k6.sleeps.length = 0;
    k6.gauges.clear();
  });
  afterAll(() => vi.unstubAllGlobals());

  it.each(['steady', 'storm', 'ack', 'mixed'] as const)('%s.js runs its scenario\'s phases under its thresholds, and exports every request they make', async (name) => {
    const script = await loadScript(name);
    const scenario = scenarios[name];
    expect(script.options.scenarios).toEqual(scenario.phases);
    expect(script.options.thresholds).toEqual(scenario.thresholds);
    expect(script.options.summaryTrendStats).toEqual(expect.arrayContaining(['p(50)', 'p(95)', 'p(99)']));
    for (const phase of Object.values(scenario.phases)) expect(typeof script[phase.exec], phase.exec).toBe('function');
    for (const fn of ['setup', 'teardown', 'handleSummary']) expect(typeof script[fn], fn).toBe('function');
  });

  it('steady.js: posts fresh alerts with the source key, and records the dispatch p99 and the pages left undispatched', async () => {
    const script = await loadScript('steady');
    useGateway({ dispatchS: 0.03, escalationLateS: 0.004 });
    const data = script.setup();
    expect(data.pageIds).toEqual([]);
    expect(k6.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET http://gateway.test/metrics']);

    run(script, 'alert', data, 10);
    const alerts = k6.requests.filter((r) => r.url.endsWith('/v1/alerts'));
    expect(alerts).toHaveLength(10);
    expect(alerts[3]!.body).toBe(JSON.stringify(alertBody(3)));
    expect(alerts[3]!.params.headers).toMatchObject({ Authorization: 'Bearer lab-key', 'Content-Type': 'application/json' });
    expect(alerts[3]!.params.tags).toEqual({ name: 'POST /v1/alerts' });
    expect(k6.checks.filter((c) => c.name === '202' && c.ok)).toHaveLength(10);

    script.teardown(data);
    expect(k6.sleeps).toEqual([stepSeconds * 3]);
    // All ten in (20 ms, 50 ms]: 20 + 30 × 0.99.
    expect(lastGauge('gateway_alert_to_first_notification_p99_ms')).toBeCloseTo(49.7, 9);
    expect(lastGauge('gateway_pages_not_dispatched')).toBe(0);
    // The escalations fall due after the second snapshot: unmeasured, which fails its threshold.
    expect(lastGauge('gateway_escalation_lateness_p99_ms')).toBe(Infinity);
  });

  it('ack.js: raises its pages before the run, leaves their dispatch out of the figures, and acknowledges each once as the person paged', async () => {
    const script = await loadScript('ack');
    useGateway({ dispatchS: 0.5, escalationLateS: 0.004 });
    const data = script.setup();
    const ackPages = scenarios.ack.ackPages!;
    expect(data.pageIds).toHaveLength(ackPages);
    expect(new Set(data.pageIds).size).toBe(ackPages);
    // Setup waited (a sleep) until every page it raised had reached a channel.
    expect(k6.sleeps.length).toBeGreaterThan(0);
    expect(parseHistogram(data.metricsBefore, a2f)!.count).toBe(ackPages);

    k6.requests.length = 0;
    run(script, 'ack', data, 3);
    expect(k6.requests.map((r) => r.url)).toEqual(data.pageIds.slice(0, 3).map((id) => `http://gateway.test/v1/pages/${id}/ack`));
    expect(k6.requests[0]!.body).toBe('{"via":"api"}');
    expect(k6.requests[0]!.params.headers).toMatchObject({ Authorization: 'Bearer provider-key' });
    expect(k6.requests[0]!.params.tags).toEqual({ name: 'POST /v1/pages/:id/ack' });

    script.teardown(data);
    // Their 0.5 s dispatch is not in the figures: no first notification was observed after the snapshot.
    expect(lastGauge('gateway_alert_to_first_notification_p99_ms')).toBe(Infinity);
    expect(lastGauge('gateway_escalation_lateness_p99_ms')).toBeCloseTo(4.97, 9);
    expect(lastGauge('gateway_pages_not_dispatched')).toBe(0);
  });

  it('mixed.js: reads pages with the operations key', async () => {
    const script = await loadScript('mixed');
    useGateway({ dispatchS: 0.01, escalationLateS: 0.001 });
    const data = script.setup();
    k6.requests.length = 0;
    run(script, 'read', data, 2);
    expect(k6.requests.map((r) => `${r.method} ${r.url}`)).toEqual(data.pageIds.slice(0, 2).map((id) => `GET http://gateway.test/v1/pages/${id}`));
    expect(k6.requests[1]!.params).toEqual({ headers: { Authorization: 'Bearer ops-key' }, tags: { name: 'GET /v1/pages/:id' } });
  });

  it('records every gateway figure as unmeasured when /metrics does not answer at the end', async () => {
    const script = await loadScript('storm');
    useGateway({ dispatchS: 0.01, escalationLateS: 0.001 });
    const data = script.setup();
    k6.handle = () => ({ status: 503, body: '' });
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    script.teardown(data);
    expect(logged).toHaveBeenCalledWith(expect.stringMatching(/unmeasured/));
    logged.mockRestore();
    for (const name of ['gateway_alert_to_first_notification_p99_ms', 'gateway_escalation_lateness_p99_ms', 'gateway_pages_not_dispatched']) expect(lastGauge(name), name).toBe(Infinity);
  });

  it('writes the text summary to stdout and the JSON summary, without setup data, to SUMMARY_FILE', async () => {
    const script = await loadScript('storm');
    const data = {
      setup_data: { metricsBefore: 'x', pageIds: ['p'] },
      metrics: {
        'http_reqs{scenario:storm}': { type: 'counter', contains: 'default', values: { count: 5000, rate: 80.5 }, thresholds: { 'count==5000': { ok: true } } },
        gateway_pages_not_dispatched: { type: 'gauge', contains: 'default', values: { value: 2, min: 2, max: 2 }, thresholds: { 'value==0': { ok: false } } },
      },
    };
    const outputs = script.handleSummary(data);
    expect(outputs.stdout).toContain('http_reqs{scenario:storm}: count=5000 rate=80.5');
    expect(outputs.stdout).toContain('✓ count==5000');
    expect(outputs.stdout).toContain('✗ value==0');
    expect(outputs.stdout).toContain('thresholds: 1 of 2 passed');
    const written = JSON.parse(outputs['summary.json']!) as Record<string, unknown>;
    expect(written).not.toHaveProperty('setup_data');
    expect(written.metrics).toEqual(data.metrics);
    delete k6.env.SUMMARY_FILE;
    expect(Object.keys(script.handleSummary(data))).toEqual(['stdout']);
  });

  it('stops before the run when a key its requests need is not set', async () => {
    vi.resetModules();
    delete k6.env.ACK_KEY;
    await expect(loadScript('ack')).rejects.toThrow(/set ACK_KEY/);
    vi.resetModules();
    delete k6.env.ADMIN_KEY;
    k6.env.ACK_KEY = 'provider-key';
    await expect(loadScript('mixed')).rejects.toThrow(/set ADMIN_KEY/);
  });
});
