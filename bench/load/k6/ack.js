// k6 script of the `ack` scenario (../scenarios.js): acknowledgements at a steady rate, each of
// one of the pages setup raised for it. Everything but the scenario's name is in lib.js.
//
//   k6 run -e BASE_URL=http://127.0.0.1:8080 -e API_KEY=<source key> -e ACK_KEY=<on-call person's key> \
//     bench/load/k6/ack.js
import { scenarios } from '../scenarios.js';
import { acknowledgePage, optionsFor, setupFor, summaryOutputs, teardownFor } from './lib.js';

const scenario = scenarios.ack;

export const options = optionsFor(scenario);

export function setup() {
  return setupFor(scenario);
}

export function ack(data) {
  acknowledgePage(data);
}

export function teardown(data) {
  teardownFor(data);
}

export function handleSummary(data) {
  return summaryOutputs(data);
}
