// The load scenarios of `npm run bench`, defined once for both ways of running them: the k6
// scripts in k6/ import this file, and the Node load generator (run where k6 is not installed)
// reads the same definitions. Plain JavaScript with no imports, so k6 and Node can both load it.
//
// Each scenario is in k6's own terms (https://grafana.com/docs/k6/latest/using-k6/scenarios/):
// an executor with its options, and `exec`, the request each iteration makes:
//   alert — POST /v1/alerts with a source key (API_KEY), a fresh alert each time;
//   ack   — POST /v1/pages/:id/ack with the on-call person's key (ACK_KEY), each iteration the
//           next of the pages raised for it before the scenario starts (`ackPages`);
//   read  — GET /v1/pages/:id with the operations key (ADMIN_KEY), a page raised before.
// Thresholds are in k6's syntax, on k6's built-in metrics tagged by scenario, and on the
// gateway's own figures read back from /metrics at the end (`gateway_*`, see prometheus.js).

/** The drill hospital's alert (test/support/drill-hospital.ts): the source comes from the key. */
export function alertBody(i) {
  return { alert: { priority: 'stat', test: 'K', unit: `U${i % 30}`, patient: { name: 'Jane Roe' } } };
}

/** Seconds between the drill ladder's steps: the escalation each page makes falls due this long after it opens. */
export const stepSeconds = 1;

export const scenarios = {
  /** A steady arrival rate of alerts, after a warm-up at the same rate that the figures leave out. */
  steady: {
    description: 'a steady 200 alerts/s for 30 s (after 10 s of warm-up at the same rate)',
    phases: {
      warmup: { executor: 'constant-arrival-rate', rate: 200, timeUnit: '1s', duration: '10s', preAllocatedVUs: 50, maxVUs: 400, exec: 'alert' },
      steady: { executor: 'constant-arrival-rate', rate: 200, timeUnit: '1s', duration: '30s', preAllocatedVUs: 50, maxVUs: 400, exec: 'alert', startTime: '10s' },
    },
    thresholds: {
      'http_req_failed{scenario:steady}': ['rate==0'],
      'http_req_duration{scenario:steady}': ['p(99)<250'],
      // The gateway's own figure: alert received → first notification handed to a channel.
      gateway_alert_to_first_notification_p99_ms: ['value<250'],
      gateway_escalation_lateness_p99_ms: ['value<250'],
    },
  },
  /** A lab system flushing 5,000 results at once: as fast as 100 connections can send them. */
  storm: {
    description: 'a storm of 5,000 alerts, 100 at a time, as fast as they are answered',
    phases: {
      storm: { executor: 'shared-iterations', vus: 100, iterations: 5000, maxDuration: '120s', exec: 'alert' },
    },
    thresholds: {
      'http_req_failed{scenario:storm}': ['rate==0'],
      'http_reqs{scenario:storm}': ['count==5000'],
      gateway_escalation_lateness_p99_ms: ['value<100'],
      // Every alert of the storm reached a channel (pages opened = first notifications observed).
      gateway_pages_not_dispatched: ['value==0'],
    },
  },
  /** Acknowledgements at a steady rate, each of a page raised for it before the scenario began. */
  ack: {
    description: 'acknowledgements at 100/s for 20 s, of 2,000 pages raised before',
    ackPages: 2000,
    phases: {
      ack: { executor: 'constant-arrival-rate', rate: 100, timeUnit: '1s', duration: '20s', preAllocatedVUs: 20, maxVUs: 200, exec: 'ack' },
    },
    thresholds: {
      'http_req_failed{scenario:ack}': ['rate==0'],
      'http_req_duration{scenario:ack}': ['p(99)<250'],
    },
  },
  /** Alerts, acknowledgements and page reads at once, as a busy hospital makes them. */
  mixed: {
    description: '150 alerts/s, 30 acknowledgements/s and 30 page reads/s together for 30 s',
    ackPages: 900,
    phases: {
      alerts: { executor: 'constant-arrival-rate', rate: 150, timeUnit: '1s', duration: '30s', preAllocatedVUs: 40, maxVUs: 300, exec: 'alert' },
      acks: { executor: 'constant-arrival-rate', rate: 30, timeUnit: '1s', duration: '30s', preAllocatedVUs: 10, maxVUs: 100, exec: 'ack' },
      reads: { executor: 'constant-arrival-rate', rate: 30, timeUnit: '1s', duration: '30s', preAllocatedVUs: 10, maxVUs: 100, exec: 'read' },
    },
    thresholds: {
      'http_req_failed{scenario:alerts}': ['rate==0'],
      'http_req_failed{scenario:acks}': ['rate==0'],
      'http_req_failed{scenario:reads}': ['rate==0'],
      'http_req_duration{scenario:alerts}': ['p(99)<250'],
      'http_req_duration{scenario:acks}': ['p(99)<250'],
      'http_req_duration{scenario:reads}': ['p(99)<250'],
      gateway_alert_to_first_notification_p99_ms: ['value<250'],
    },
  },
};
