// Builds the on-call index from the database for a window of time.
import type { Db } from '../db/index.js';
import { defaultStaleAfterMs, OnCallIndex, type SourceFreshnessInput } from './on-call-index.js';
import type { SourcesConfig } from './sources-config.js';
import { loadShifts, loadSourceStates } from './store.js';

export async function loadOnCallIndex(db: Db, config: SourcesConfig, window: { from: Date; to: Date }, now: () => Date): Promise<OnCallIndex> {
  const [shifts, states] = await Promise.all([loadShifts(db, window.from, window.to), loadSourceStates(db)]);
  const sources = new Map<string, SourceFreshnessInput>();
  for (const [name, c] of config) sources.set(name, { lastSuccessAt: null, staleAfterMs: c.staleAfter });
  for (const s of states) sources.set(s.name, { lastSuccessAt: s.lastSuccessAt, staleAfterMs: config.get(s.name)?.staleAfter ?? defaultStaleAfterMs });
  return new OnCallIndex(shifts, sources, now);
}
