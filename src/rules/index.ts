// Rules versions: the active rule set, the ones open pages were routed by, reloading. What other folders import.
export { createRulesRegistry, RulesDoNotCompile, type ReloadOutcome, type RulesRegistry } from './registry.js';
