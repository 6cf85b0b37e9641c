// Rosters: importing them, keeping them, and saying who is on call. What other folders import.
export { importFeed, parseFeed, readFeed, describeProblems, type ImportOutcome } from './import.js';
export { loadOnCallIndex } from './load.js';
export type { FeedParse, FeedProblem, ImportedShift } from './model.js';
export { OnCallIndex, type Freshness, type OnCallAnswer, type OnCallEntry } from './on-call-index.js';
export { refreshDueSources, startRosterRefresh, type RefreshDeps } from './refresh.js';
export { loadSourcesConfig, parseSourcesConfig, SourcesConfigError, type SourceConfig, type SourcesConfig } from './sources-config.js';
export { loadContacts, loadSourceStates, type SourceState, type SyncCounts } from './store.js';
