// k6 script of the `storm` scenario (../scenarios.js): a lab system flushing 5,000 results at
// once, 100 connections sending as fast as they are answered; it passes when every alert was
// accepted and reached a channel. Everything but the scenario's name is in lib.js.
//
//   k6 run -e BASE_URL=http://127.0.0.1:8080 -e API_KEY=<source key> bench/load/k6/storm.js
import { scenarios } from '../scenarios.js';
import { optionsFor, sendAlert, setupFor, summaryOutputs, teardownFor } from './lib.js';

const scenario = scenarios.storm;

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
