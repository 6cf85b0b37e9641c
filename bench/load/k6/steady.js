// k6 script of the `steady` scenario (../scenarios.js): alerts at a steady arrival rate, after a
// warm-up at the same rate that the HTTP thresholds leave out. Everything but the scenario's
// name is in lib.js.
//
//   k6 run -e BASE_URL=http://127.0.0.1:8080 -e API_KEY=<source key> bench/load/k6/steady.js
import { scenarios } from '../scenarios.js';
import { optionsFor, sendAlert, setupFor, summaryOutputs, teardownFor } from './lib.js';

const scenario = scenarios.steady;

export const options = optionsFor(scenario);

export function setup() {
  return setupFor(scenario);
}

export function alert() {
  sendAlert();
}

export function teardown(data) {
  teardownFor(data);
}

export function handleSummary(data) {
  return summaryOutputs(data);
}
