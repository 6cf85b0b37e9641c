// k6 script of the `mixed` scenario (../scenarios.js): alerts, acknowledgements and page reads
// at once, as a busy hospital makes them. Everything but the scenario's name is in lib.js.
//
//   k6 run -e BASE_URL=http://127.0.0.1:8080 -e API_KEY=<source key> -e ACK_KEY=<on-call person's key> \
//     -e ADMIN_KEY=<operations key> bench/load/k6/mixed.js
import { scenarios } from '../scenarios.js';
import { acknowledgePage, optionsFor, readPage, sendAlert, setupFor, summaryOutputs, teardownFor } from './lib.js';

const scenario = scenarios.mixed;

export const options = optionsFor(scenario);

export function setup() {
  return setupFor(scenario);
}

export function alert() {
  sendAlert();
}

export function ack(data) {
  acknowledgePage(data);
}

export function read(data) {
  readPage(data);
}

export function teardown(data) {
  teardownFor(data);
}

export function handleSummary(data) {
  return summaryOutputs(data);
}
