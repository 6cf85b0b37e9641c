// Types of prometheus.js for TypeScript (the Node harness and the tests): the module is plain
// JavaScript so that k6 can load it too, and the project does not type-check JavaScript
// (no allowJs), so without this file importing it is an implicit `any`. Keep in step with the
// JSDoc in prometheus.js.

/** Cumulative, as Prometheus exposes it; `le` is Infinity for "+Inf". */
export interface HistogramBucket {
  readonly le: number;
  readonly count: number;
}

export interface Histogram {
  /** Sorted by `le`, the +Inf bucket last. */
  readonly buckets: readonly HistogramBucket[];
  readonly sum: number;
  readonly count: number;
}

/** Milliseconds; null when nothing was observed. */
export interface LatencyFigures {
  readonly count: number;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
}

export interface GatewayFigures {
  /** Alert received → its first notification handed to a channel. */
  readonly alertToFirstNotification: LatencyFigures;
  /** An escalation step's due instant → the moment it fired. */
  readonly escalationLateness: LatencyFigures;
  readonly pagesOpened: number;
}

/** The `gateway_*` metrics the scenarios' thresholds name; null for a figure nothing was observed for. */
export interface GatewayGaugeValues {
  readonly gateway_alert_to_first_notification_p99_ms: number | null;
  readonly gateway_escalation_lateness_p99_ms: number | null;
  readonly gateway_pages_not_dispatched: number;
}

export function parseHistogram(text: string, name: string): Histogram | null;
export function parseCounter(text: string, name: string): number;
export function diffHistogram(after: Histogram, before: Histogram | null): Histogram;
export function histogramQuantile(h: Histogram, q: number): number | null;
export function gatewayFigures(beforeText: string, afterText: string): GatewayFigures;
export function gatewayGaugeValues(figures: GatewayFigures): GatewayGaugeValues;
