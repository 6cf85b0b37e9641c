// Types of scenarios.js (plain JavaScript, so that k6 can load it too), for the Node side of
// `npm run bench`.

/** The request an iteration makes (see scenarios.js). */
export type Exec = 'alert' | 'ack' | 'read';

/** k6's constant-arrival-rate executor: `rate` iterations per `timeUnit`, for `duration`. */
export interface ConstantArrivalRate {
  readonly executor: 'constant-arrival-rate';
  readonly rate: number;
  readonly timeUnit: string;
  readonly duration: string;
  readonly preAllocatedVUs: number;
  readonly maxVUs: number;
  readonly exec: Exec;
  readonly startTime?: string;
}

/** k6's shared-iterations executor: `vus` VUs share `iterations`, for at most `maxDuration`. */
export interface SharedIterations {
  readonly executor: 'shared-iterations';
  readonly vus: number;
  readonly iterations: number;
  readonly maxDuration: string;
  readonly exec: Exec;
  readonly startTime?: string;
}

export type PhaseOptions = ConstantArrivalRate | SharedIterations;

export interface Scenario {
  readonly description: string;
  /** k6 scenarios, by name: the name tags the requests (`http_req_duration{scenario:<name>}`). */
  readonly phases: Readonly<Record<string, PhaseOptions>>;
  /** Pages raised before the scenario starts, for its `ack` (and `read`) iterations. */
  readonly ackPages?: number;
  /** k6 thresholds: metric key → expressions. */
  readonly thresholds: Readonly<Record<string, readonly string[]>>;
}

export function alertBody(i: number): { alert: Record<string, unknown> };
export const stepSeconds: number;
export const scenarios: Readonly<Record<'steady' | 'storm' | 'ack' | 'mixed', Scenario>>;
