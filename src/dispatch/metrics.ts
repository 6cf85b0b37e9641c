// The dispatch core's Prometheus figures: how long a physician waits for the first notification,
// how late escalation steps fire, and what became of each notification.
import { Counter, Histogram, type Registry } from 'prom-client';

export interface DispatchMetrics {
  /** Alert received → its first notification handed to a channel. */
  readonly alertToChannel: Histogram;
  /** A step's due instant → the moment it fired. */
  readonly escalationLateness: Histogram;
  readonly notifications: Counter<'channel' | 'outcome'>;
  readonly pagesOpened: Counter<'workflow'>;
  readonly acknowledgements: Counter<'workflow' | 'via'>;
  /** Page opened → acknowledged, per workflow: the figure pager retirement is judged by. */
  readonly ackTime: Histogram<'workflow'>;
  /** Acknowledged only after a later step of the ladder fired. */
  readonly escalatedAcks: Counter<'workflow'>;
  /** Ladders that ran out with nobody acknowledging. */
  readonly missed: Counter<'workflow'>;
  /** Steps that paged a fallback (a team inbox) in a role's place. */
  readonly fallbacks: Counter<'workflow'>;
  /** Texts the runtime PHI guard refused: each one an incident to look into. */
  readonly phiGuardRefusals: Counter<'channel'>;
}

// Fine below 100 ms, where the dispatch core's figures live and where a benchmark reads its
// percentiles back from these buckets (bench/load): a percentile is interpolated within one.
const latencyBuckets = [0.001, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.0125, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2, 5, 10, 30];

export function createDispatchMetrics(registry: Registry): DispatchMetrics {
  return {
    alertToChannel: new Histogram({
      name: 'pagerless_alert_to_first_notification_seconds',
      help: 'Time from an alert being received to its first notification handed to a channel',
      buckets: latencyBuckets,
      registers: [registry],
    }),
    escalationLateness: new Histogram({
      name: 'pagerless_escalation_lateness_seconds',
      help: 'Time from an escalation step falling due to it firing',
      buckets: latencyBuckets,
      registers: [registry],
    }),
    notifications: new Counter({
      name: 'pagerless_notifications_total',
      help: 'Notification send attempts by channel and outcome (sent, delivered, retry, failed, cancelled)',
      labelNames: ['channel', 'outcome'] as const,
      registers: [registry],
    }),
    pagesOpened: new Counter({ name: 'pagerless_pages_opened_total', help: 'Pages opened, by workflow', labelNames: ['workflow'] as const, registers: [registry] }),
    acknowledgements: new Counter({
      name: 'pagerless_acknowledgements_total',
      help: 'Pages acknowledged, by workflow and how',
      labelNames: ['workflow', 'via'] as const,
      registers: [registry],
    }),
    ackTime: new Histogram({
      name: 'pagerless_acknowledgement_seconds',
      help: 'Time from a page opening to its acknowledgement, by workflow',
      labelNames: ['workflow'] as const,
      buckets: [15, 30, 60, 120, 180, 300, 600, 900, 1800, 3600],
      registers: [registry],
    }),
    escalatedAcks: new Counter({ name: 'pagerless_acknowledgements_escalated_total', help: 'Pages acknowledged only after a later step of the ladder fired, by workflow', labelNames: ['workflow'] as const, registers: [registry] }),
    missed: new Counter({ name: 'pagerless_pages_missed_total', help: 'Pages whose ladder ran out with nobody acknowledging, by workflow', labelNames: ['workflow'] as const, registers: [registry] }),
    fallbacks: new Counter({ name: 'pagerless_fallbacks_total', help: 'Escalation steps that paged a fallback team inbox in a role\'s place, by workflow', labelNames: ['workflow'] as const, registers: [registry] }),
    phiGuardRefusals: new Counter({
      name: 'pagerless_phi_guard_refusals_total',
      help: 'Messages the runtime PHI guard refused to send because they held a PHI value, by channel',
      labelNames: ['channel'] as const,
      registers: [registry],
    }),
  };
}
