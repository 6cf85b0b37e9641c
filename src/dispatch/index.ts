// The dispatch core: opening pages, the outbox, escalation, acknowledgement. What other folders import.
export { acknowledgePage, concerns, declinePage, resolvePage, wasPaged, wasReached, type AckResult, type AckVia, type Acknowledgement, type DeclineResult, type ResolveResult, type Resolver } from './acknowledge.js';
export { deliveryForCall, type ProviderReport, type ReportOutcome } from './delivery-status.js';
export { createDispatchEngine, type DispatchEngine, type Timers } from './engine.js';
export { createEscalator, type Escalator } from './escalations.js';
export { createDispatchMetrics, type DispatchMetrics } from './metrics.js';
export type { OpenPageInput, OpenPageResult } from './open-page.js';
export { createOutbox, defaultRetryPolicy, type Outbox, type RetryPolicy } from './outbox.js';
export { loadPageView, type DeliveryState, type PageState, type PageView } from './page-view.js';
export { openPhi, sealPhi } from './phi-vault.js';
export { createDispatcher, defaultTuning, type Dispatcher, type DispatcherDeps, type DispatchTuning } from './dispatcher.js';
