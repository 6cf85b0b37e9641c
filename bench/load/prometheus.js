// The gateway's own figures for the load benchmarks, read back from its /metrics page. A load
// generator sees only HTTP answers; what a physician waits for (alert → first notification handed
// to a channel) and how late escalations fire are measured inside the gateway, as Prometheus
// histograms, so a run takes a snapshot of /metrics before and after and works out the figures
// of the observations made in between.
//
// Plain JavaScript with no imports: the k6 scripts (k6/lib.js) and the Node harness both load it.
// TypeScript sees it through prometheus.d.ts, which must stay in step with the JSDoc types here.

/** @typedef {{ le: number, count: number }} HistogramBucket  cumulative, as Prometheus exposes it; le is Infinity for "+Inf" */
/** @typedef {{ buckets: HistogramBucket[], sum: number, count: number }} Histogram */
/** @typedef {{ count: number, p50: number | null, p95: number | null, p99: number | null }} LatencyFigures  milliseconds; null when nothing was observed */
/** @typedef {{ alertToFirstNotification: LatencyFigures, escalationLateness: LatencyFigures, pagesOpened: number }} GatewayFigures */
/** @typedef {{ name: string, labels: Record<string, string>, value: number }} Sample */

const alertToFirstNotification = 'pagerless_alert_to_first_notification_seconds';
const escalationLateness = 'pagerless_escalation_lateness_seconds';
const pagesOpened = 'pagerless_pages_opened_total';

/**
 * The histogram `name` in a Prometheus text exposition, its label sets summed bucket by bucket
 * (which assumes they share one bucket layout, as the label sets of one histogram do); null when
 * the text has none of its samples.
 * @param {string} text
 * @param {string} name
 * @returns {Histogram | null}
 */
export function parseHistogram(text, name) {
  const samples = samplesOf(text, [`${name}_bucket`, `${name}_sum`, `${name}_count`]);
  if (samples.length === 0) return null;
  /** @type {Map<number, number>} */
  const byBound = new Map();
  let sum = 0;
  let count = 0;
  for (const sample of samples) {
    if (sample.name === `${name}_sum`) sum += sample.value;
    else if (sample.name === `${name}_count`) count += sample.value;
    else {
      const le = parseNumber(sample.labels.le ?? '');
      if (Number.isNaN(le)) throw new Error(`${name}_bucket has a sample without a numeric "le" label`);
      byBound.set(le, (byBound.get(le) ?? 0) + sample.value);
    }
  }
  const buckets = [...byBound].map(([le, n]) => ({ le, count: n })).sort((a, b) => a.le - b.le);
  return { buckets, sum, count };
}

/**
 * The counter `name` summed over its label sets; 0 when absent (Prometheus client libraries
 * print no sample for a labelled counter nothing has incremented yet).
 * @param {string} text
 * @param {string} name
 * @returns {number}
 */
export function parseCounter(text, name) {
  let total = 0;
  for (const sample of samplesOf(text, [name])) total += sample.value;
  return total;
}

/**
 * The observations made between two snapshots of one histogram of one process. Throws when a
 * count went down, which means the gateway restarted between them and the difference is not
 * the figures of the run.
 * @param {Histogram} after
 * @param {Histogram | null} before
 * @returns {Histogram}
 */
export function diffHistogram(after, before) {
  if (before === null) return { buckets: after.buckets.map((b) => ({ le: b.le, count: b.count })), sum: after.sum, count: after.count };
  const earlier = new Map(before.buckets.map((b) => [b.le, b.count]));
  for (const le of earlier.keys()) {
    if (!after.buckets.some((b) => b.le === le)) throw new Error(`the two snapshots have different buckets (le=${le} is only in the first)`);
  }
  const buckets = after.buckets.map((b) => ({ le: b.le, count: b.count - (earlier.get(b.le) ?? 0) }));
  const count = after.count - before.count;
  if (count < 0 || buckets.some((b) => b.count < 0)) throw new Error('a histogram count went down between the snapshots: the gateway restarted during the run');
  return { buckets, sum: after.sum - before.sum, count };
}

/**
 * The q-quantile (0 ≤ q ≤ 1) in the histogram's unit, as Prometheus' histogram_quantile works
 * it out: linear interpolation within the bucket the rank falls in, the first bucket starting
 * at 0; the highest finite bound when the rank falls in the +Inf bucket. Null when nothing was
 * observed (or the histogram has no finite bucket).
 * @param {Histogram} h
 * @param {number} q
 * @returns {number | null}
 */
export function histogramQuantile(h, q) {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`a quantile is between 0 and 1, not ${q}`);
  const buckets = h.buckets;
  const last = buckets[buckets.length - 1];
  if (last === undefined || last.le !== Infinity) throw new Error('a histogram needs its +Inf bucket to be read');
  const observations = last.count;
  if (observations === 0) return null;
  const rank = q * observations;
  const at = buckets.findIndex((b) => b.count >= rank);
  if (at === buckets.length - 1) return buckets.length > 1 ? buckets[at - 1].le : null;
  const bucket = buckets[at];
  if (at === 0 && bucket.le <= 0) return bucket.le;
  const previous = at > 0 ? buckets[at - 1] : { le: 0, count: 0 };
  const inBucket = bucket.count - previous.count;
  // Only q = 0 can land on an empty bucket; its lower edge is the answer then.
  if (inBucket === 0) return previous.le;
  return previous.le + (bucket.le - previous.le) * ((rank - previous.count) / inBucket);
}

/**
 * The gateway's figures for the observations made between two /metrics snapshots: latencies in
 * milliseconds, and how many pages it opened.
 * @param {string} beforeText
 * @param {string} afterText
 * @returns {GatewayFigures}
 */
export function gatewayFigures(beforeText, afterText) {
  return {
    alertToFirstNotification: latencyFigures(beforeText, afterText, alertToFirstNotification),
    escalationLateness: latencyFigures(beforeText, afterText, escalationLateness),
    pagesOpened: parseCounter(afterText, pagesOpened) - parseCounter(beforeText, pagesOpened),
  };
}

/**
 * The values of the `gateway_*` metrics the scenarios' thresholds name, keyed by metric name;
 * null for a figure nothing was observed for (a threshold on it must fail, not pass on zero).
 * @param {GatewayFigures} figures
 * @returns {{ gateway_alert_to_first_notification_p99_ms: number | null, gateway_escalation_lateness_p99_ms: number | null, gateway_pages_not_dispatched: number }}
 */
export function gatewayGaugeValues(figures) {
  return {
    gateway_alert_to_first_notification_p99_ms: figures.alertToFirstNotification.p99,
    gateway_escalation_lateness_p99_ms: figures.escalationLateness.p99,
    // Every page opened hands its first notification to a channel once; the shortfall is the
    // pages still undispatched when the second snapshot was taken. Pages opened just before the
    // first snapshot (as a warm-up ends) and dispatched after it count on the other side: never
    // fewer than none.
    gateway_pages_not_dispatched: Math.max(0, figures.pagesOpened - figures.alertToFirstNotification.count),
  };
}

/**
 * @param {string} beforeText
 * @param {string} afterText
 * @param {string} name a histogram in seconds
 * @returns {LatencyFigures}
 */
function latencyFigures(beforeText, afterText, name) {
  const after = parseHistogram(afterText, name);
  if (after === null) return { count: 0, p50: null, p95: null, p99: null };
  const h = diffHistogram(after, parseHistogram(beforeText, name));
  return { count: h.count, p50: milliseconds(histogramQuantile(h, 0.5)), p95: milliseconds(histogramQuantile(h, 0.95)), p99: milliseconds(histogramQuantile(h, 0.99)) };
}

/** @param {number | null} seconds @returns {number | null} */
function milliseconds(seconds) {
  return seconds === null ? null : seconds * 1000;
}

// ── the text exposition format ──────────────────────────────────────────────────────────────
// https://prometheus.io/docs/instrumenting/exposition_formats/ — `name{label="value",…} value
// [timestamp]` per line; `#` lines are HELP, TYPE or comments. Label values escape \\, \" and \n,
// and may hold commas, braces and spaces, hence a small scanner rather than a split.

/**
 * The samples of the metrics named. Only their lines are parsed, so that an odd line of some
 * other metric (prom-client prints NaN as "Nan") cannot spoil the figures.
 * @param {string} text
 * @param {string[]} names
 * @returns {Sample[]}
 */
function samplesOf(text, names) {
  /** @type {Sample[]} */
  const samples = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
    if (name !== undefined && names.includes(name)) samples.push(parseSampleLine(line, name));
  }
  return samples;
}

/**
 * @param {string} line
 * @param {string} name the metric name the line starts with
 * @returns {Sample}
 */
function parseSampleLine(line, name) {
  let at = name.length;
  /** @type {Record<string, string>} */
  let labels = {};
  if (line[at] === '{') {
    const parsed = parseLabels(line, at + 1);
    labels = parsed.labels;
    at = parsed.end;
  }
  const valueText = line.slice(at).trim().split(/\s+/)[0] ?? '';
  const value = parseNumber(valueText);
  if (Number.isNaN(value) && valueText.toLowerCase() !== 'nan') throw new Error(`not a Prometheus sample value in: ${line}`);
  return { name, labels, value };
}

/**
 * The labels from just after `{` up to the matching `}`; `end` is the index after it. A scanner
 * of characters, not sticky regular expressions, so that every JavaScript runtime k6 has shipped
 * runs it.
 * @param {string} line
 * @param {number} start
 * @returns {{ labels: Record<string, string>, end: number }}
 */
function parseLabels(line, start) {
  /** @type {Record<string, string>} */
  const labels = {};
  let at = start;
  for (;;) {
    at = skipSpaces(line, at);
    if (line[at] === '}') return { labels, end: at + 1 };
    const label = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(at))?.[0];
    if (label === undefined) throw malformedLabels(line);
    at = skipSpaces(line, at + label.length);
    if (line[at] !== '=') throw malformedLabels(line);
    at = skipSpaces(line, at + 1);
    if (line[at] !== '"') throw malformedLabels(line);
    const value = quotedValue(line, at + 1);
    labels[label] = value.text;
    at = skipSpaces(line, value.end);
    if (line[at] === ',') at += 1;
    else if (line[at] !== '}') throw malformedLabels(line);
  }
}

/**
 * A label value from just after its opening quote; `end` is the index after the closing one.
 * The format escapes \\, \" and \n.
 * @param {string} line
 * @param {number} start
 * @returns {{ text: string, end: number }}
 */
function quotedValue(line, start) {
  let text = '';
  for (let i = start; i < line.length; i++) {
    const c = line[i];
    if (c === '"') return { text, end: i + 1 };
    if (c !== '\\') {
      text += c;
      continue;
    }
    i += 1;
    if (i >= line.length) break;
    text += line[i] === 'n' ? '\n' : line[i];
  }
  throw malformedLabels(line);
}

/** @param {string} line @param {number} at @returns {number} */
function skipSpaces(line, at) {
  while (line[at] === ' ' || line[at] === '\t') at += 1;
  return at;
}

/** @param {string} line @returns {Error} */
function malformedLabels(line) {
  return new Error(`malformed labels in Prometheus sample line: ${line}`);
}

/**
 * Numbers as Prometheus clients print them: "+Inf", "-Inf" and "NaN" (in any case, as Go's
 * ParseFloat takes them) besides plain decimals.
 * @param {string} text
 * @returns {number}
 */
function parseNumber(text) {
  const word = text.toLowerCase();
  if (word === '+inf' || word === 'inf') return Infinity;
  if (word === '-inf') return -Infinity;
  if (word === '' || word === 'nan') return NaN;
  return Number(text);
}
