// What the k6 scripts of bench/load/k6 share: one per scenario of ../scenarios.js, each a few
// lines that hand its scenario to these functions. The requests (alert, ack, read), the setup
// that raises the pages an ack scenario acknowledges, the gateway's own figures read back from
// /metrics in teardown, and the end-of-test summary are written once, here.
//
// Environment (k6 run -e NAME=value): BASE_URL (default http://127.0.0.1:8080); API_KEY, a
// source key (alerts); ACK_KEY, the key of the person the drill pages go to (acknowledgements);
// ADMIN_KEY, an operations key (page reads); SUMMARY_FILE, where to write the summary as JSON.
// A script checks at start that it has the keys its scenario needs.
/* global __ENV, console */
import http from 'k6/http';
import { check, sleep } from 'k6';
import exec from 'k6/execution';
import { Gauge } from 'k6/metrics';
import { alertBody, stepSeconds } from '../scenarios.js';
import { gatewayFigures, gatewayGaugeValues } from '../prometheus.js';

const baseUrl = (__ENV.BASE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');

/** The environment variable holding the key each kind of request is made with. */
const keyVariableOf = { alert: 'API_KEY', ack: 'ACK_KEY', read: 'ADMIN_KEY' };

// Custom metrics exist only if declared in the init context, and k6 refuses thresholds on
// metrics that do not exist, so all three are declared whichever the scenario names. Metrics
// added in teardown count for thresholds: k6 evaluates them one last time after teardown, once
// every sample has been flushed (k6 ≥ 0.22, grafana/k6#678), so no handleSummary detour is needed.
const gauges = {
  gateway_alert_to_first_notification_p99_ms: new Gauge('gateway_alert_to_first_notification_p99_ms', true),
  gateway_escalation_lateness_p99_ms: new Gauge('gateway_escalation_lateness_p99_ms', true),
  gateway_pages_not_dispatched: new Gauge('gateway_pages_not_dispatched'),
};

/** Pages are raised in setup this many requests at a time (http.batch). */
const setupBatchSize = 50;
/** How long setup waits for the pages it raised to reach a channel before the measured run starts. */
const setupDispatchWaitS = 60;

/**
 * The k6 options of a scenario of ../scenarios.js. Throws, which stops k6 before it starts, when
 * a key the scenario's requests need is not set.
 * @param {{ phases: Record<string, { exec: 'alert' | 'ack' | 'read' }>, thresholds: Record<string, string[]>, ackPages?: number }} scenario
 */
export function optionsFor(scenario) {
  for (const variable of keyVariablesOf(scenario)) {
    if (!__ENV[variable]) throw new Error(`set ${variable} (k6 run -e ${variable}=…): this scenario's requests need it; see bench/load/k6/lib.js`);
  }
  return {
    scenarios: scenario.phases,
    thresholds: scenario.thresholds,
    summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(50)', 'p(95)', 'p(99)', 'count'],
    // Raising 2,000 pages and waiting for them to be dispatched can outlast k6's default 60 s.
    setupTimeout: `${setupDispatchWaitS + 120}s`,
  };
}

/**
 * Raises the scenario's `ackPages` (if any), waits until they have reached a channel, then takes
 * the /metrics snapshot the figures start from: the pages raised for the run are load the
 * scenario did not ask for, a burst whose dispatch would otherwise weigh on the p99.
 * @returns {{ metricsBefore: string, pageIds: string[] }}
 */
export function setupFor(scenario) {
  const beforePages = requiredMetricsText('setup');
  const pageIds = raisePages(scenario.ackPages || 0);
  const metricsBefore = pageIds.length === 0 ? beforePages : metricsOnceDispatched(beforePages, pageIds.length);
  return { metricsBefore, pageIds };
}

/** An `alert` iteration: POST /v1/alerts, a fresh alert each time. */
export function sendAlert() {
  const res = http.request(...alertRequest(exec.scenario.iterationInTest));
  check(res, { '202': (r) => r.status === 202 });
}

/** An `ack` iteration: the next of the pages setup raised, acknowledged by the person paged. */
export function acknowledgePage(data) {
  const res = http.post(`${baseUrl}/v1/pages/${pageFor(data)}/ack`, JSON.stringify({ via: 'api' }), {
    headers: { ...bearer('ack'), 'Content-Type': 'application/json' },
    tags: { name: 'POST /v1/pages/:id/ack' },
  });
  check(res, { '200': (r) => r.status === 200 });
}

/** A `read` iteration: GET /v1/pages/:id of one of the pages setup raised. */
export function readPage(data) {
  const res = http.get(`${baseUrl}/v1/pages/${pageFor(data)}`, { headers: bearer('read'), tags: { name: 'GET /v1/pages/:id' } });
  check(res, { '200': (r) => r.status === 200 });
}

/**
 * Waits for the last escalations to fire, takes the second /metrics snapshot and records the
 * gateway's figures as the `gateway_*` gauges the thresholds judge.
 */
export function teardownFor(data) {
  // The last pages' first escalation falls due stepSeconds after they open; three steps leave
  // room for it to fire and be observed.
  sleep(stepSeconds * 3);
  const after = metricsText();
  if (after === null) return unmeasured('teardown: GET /metrics did not answer 200');
  let figures;
  try {
    figures = gatewayFigures(data.metricsBefore, after);
  } catch (e) {
    return unmeasured(`teardown: ${e instanceof Error ? e.message : String(e)}`);
  }
  console.log(`gateway figures (ms): ${JSON.stringify(figures)}`);
  recordGauges(gatewayGaugeValues(figures));
}

/**
 * handleSummary's outputs: the text summary on stdout and, when SUMMARY_FILE is set, the whole
 * summary as JSON there. Returning stdout replaces k6's own summary.
 */
export function summaryOutputs(data) {
  // setup_data is the page ids and a /metrics dump: inputs, not results.
  const results = Object.assign({}, data, { setup_data: undefined });
  const outputs = { stdout: textSummary(results) };
  if (__ENV.SUMMARY_FILE) outputs[__ENV.SUMMARY_FILE] = JSON.stringify(results, null, 2);
  return outputs;
}

// ── requests ────────────────────────────────────────────────────────────────────────────────

/** POST /v1/alerts as http.request's arguments, so that http.batch can send them too. */
function alertRequest(i) {
  return ['POST', `${baseUrl}/v1/alerts`, JSON.stringify(alertBody(i)), { headers: { ...bearer('alert'), 'Content-Type': 'application/json' }, tags: { name: 'POST /v1/alerts' } }];
}

function bearer(kind) {
  return { Authorization: `Bearer ${__ENV[keyVariableOf[kind]]}` };
}

/** iterationInTest counts each k6 scenario's iterations from 0, so acks and reads each walk the pages in order. */
function pageFor(data) {
  return data.pageIds[exec.scenario.iterationInTest % data.pageIds.length];
}

function keyVariablesOf(scenario) {
  const kinds = Object.keys(scenario.phases).map((name) => scenario.phases[name].exec);
  if (scenario.ackPages) kinds.push('alert');
  return kinds.filter((kind, i) => kinds.indexOf(kind) === i).map((kind) => keyVariableOf[kind]);
}

/** Raises n pages; throws if any is refused, since the scenario would then measure 404s. */
function raisePages(n) {
  const pageIds = [];
  for (let start = 0; start < n; start += setupBatchSize) {
    const requests = [];
    for (let i = start; i < Math.min(n, start + setupBatchSize); i++) requests.push(alertRequest(i));
    for (const res of http.batch(requests)) {
      if (!check(res, { '202': (r) => r.status === 202 })) throw new Error(`setup: POST /v1/alerts answered ${res.status}: ${String(res.body).slice(0, 300)}`);
      pageIds.push(res.json('page.id'));
    }
  }
  return pageIds;
}

/** /metrics once `n` more first notifications than in `earlier` have been observed (or the wait is up). */
function metricsOnceDispatched(earlier, n) {
  const deadline = Date.now() + setupDispatchWaitS * 1000;
  for (;;) {
    const now = requiredMetricsText('setup');
    const dispatched = gatewayFigures(earlier, now).alertToFirstNotification.count;
    if (dispatched >= n) return now;
    if (Date.now() > deadline) {
      console.warn(`setup: only ${dispatched} of the ${n} pages raised reached a channel in ${setupDispatchWaitS} s; the rest will count in the figures`);
      return now;
    }
    sleep(0.5);
  }
}

/** The /metrics text, or null when the gateway does not answer 200. */
function metricsText() {
  const res = http.get(`${baseUrl}/metrics`, { tags: { name: 'GET /metrics' } });
  return res.status === 200 ? res.body : null;
}

function requiredMetricsText(stage) {
  const text = metricsText();
  if (text === null) throw new Error(`${stage}: GET ${baseUrl}/metrics did not answer 200; is the gateway running there?`);
  return text;
}

// ── the gateway's figures as k6 metrics ─────────────────────────────────────────────────────

/** @param {Record<string, number | null>} values */
function recordGauges(values) {
  for (const name of Object.keys(gauges)) {
    const value = values[name];
    // A figure nothing was observed for must fail its threshold. k6 judges a gauge never set as
    // 0 (which passes `value<250`) and drops NaN with a warning; Infinity fails every `<`, `<=`
    // and `==` threshold, and JSON.stringify writes it as null.
    gauges[name].add(value === null || value === undefined ? Infinity : value);
  }
}

function unmeasured(reason) {
  console.error(`${reason}; the gateway figures are unmeasured and their thresholds fail`);
  recordGauges({});
}

// ── the text summary ────────────────────────────────────────────────────────────────────────
// A small one of our own rather than jslib.k6.io's textSummary: that is fetched over the
// network when the script starts, and a hospital's test machine may not reach it.

function textSummary(data) {
  const lines = [''];
  let passed = 0;
  let total = 0;
  for (const name of Object.keys(data.metrics).sort()) {
    const metric = data.metrics[name];
    lines.push(`  ${name}: ${formatValues(metric.values)}`);
    for (const expression of Object.keys(metric.thresholds || {})) {
      const ok = metric.thresholds[expression].ok;
      lines.push(`    ${ok ? '✓' : '✗'} ${expression}`);
      total += 1;
      if (ok) passed += 1;
    }
  }
  lines.push('', `  thresholds: ${passed} of ${total} passed`, '');
  return lines.join('\n');
}

function formatValues(values) {
  return Object.keys(values)
    .map((key) => `${key}=${Number.isInteger(values[key]) ? values[key] : Math.round(values[key] * 1000) / 1000}`)
    .join(' ');
}
