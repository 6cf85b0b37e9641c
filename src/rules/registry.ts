// The rule sets the gateway runs: the active one, shared by every replica through the database,
// and any older version a page still open was routed by. Loading a new version from the rules
// directory is refused when it does not compile; the active one stays.
import type { Logger } from 'pino';
import { compileSources, gitState, readRulesDirectory, type CompileResult, type Diagnostic, type RuleSet, type RulesVersion, type SourceFile } from '../../grammar/index.js';
import { appendAudit } from '../audit/index.js';
import { notify, type Database, type DbExecutor } from '../db/index.js';
import { activeHash, loadVersion, saveVersion, setActive } from './store.js';
import { errorFields } from '../log-fields.js';

/** NOTIFY channel: a replica activated another version; the others follow. */
const rulesChannel = 'pagerless_rules';

export type ReloadOutcome =
  /** `previous` is null when there was no active version yet. */
  | { readonly status: 'activated'; readonly version: RulesVersion; readonly previous: string | null }
  | { readonly status: 'unchanged'; readonly version: RulesVersion }
  | { readonly status: 'refused'; readonly diagnostics: readonly Diagnostic[]; readonly sources: ReadonlyMap<string, string>; readonly active: RulesVersion };

export class RulesDoNotCompile extends Error {
  constructor(
    readonly diagnostics: readonly Diagnostic[],
    readonly sources: ReadonlyMap<string, string>,
  ) {
    super('the rules do not compile');
  }
}

export interface RulesRegistry {
  /** The rule set new alerts are routed by. */
  active(): RuleSet;
  /**
   * The rule set of a version; compiled from its stored sources when this process has not run
   * it. Inside a transaction, pass it: PGlite has one connection, and a query beside an open
   * transaction would wait for it forever.
   */
  byVersion(hash: string, db?: DbExecutor): Promise<RuleSet>;
  /** Reads the rules directory again and activates it for every replica, unless it does not compile. */
  reload(by: string): Promise<ReloadOutcome>;
  /** Switches to the version the database says is active (after a NOTIFY, or on a poll). */
  follow(): Promise<void>;
  stop(): Promise<void>;
}

export interface RulesRegistryDeps {
  readonly database: Database;
  readonly rulesDir: string;
  readonly clock: () => Date;
  readonly auditKey: Buffer;
  readonly log: Logger;
}

/** Compiles the rules directory and makes it the active version (throws RulesDoNotCompile). */
export async function createRulesRegistry(deps: RulesRegistryDeps): Promise<RulesRegistry> {
  const db = deps.database.db;
  const cache = new Map<string, RuleSet>();
  const compileOptions = () => ({ dstFromYear: deps.clock().getUTCFullYear() });

  const readDirectory = (): { files: SourceFile[]; result: CompileResult } => {
    const files = readRulesDirectory(deps.rulesDir);
    return { files, result: compileSources(files, { ...compileOptions(), ...gitState(deps.rulesDir) }) };
  };

  /** Stores a compiled version and makes it the active one; returns the version active before (null: none). */
  const activate = async (ruleSet: RuleSet, files: readonly SourceFile[], by: string): Promise<string | null> => {
    const at = deps.clock();
    const previous = await db.transaction(async (tx) => {
      const before = await activeHash(tx, { forUpdate: true });
      await saveVersion(tx, { ...ruleSet.version, files }, at);
      if (before === ruleSet.version.hash) return before;
      await setActive(tx, ruleSet.version.hash, by, at);
      await appendAudit(tx, deps.auditKey, { actor: by, kind: 'rules.activated', subject: `rules:${ruleSet.version.hash}`, data: { previous: before, gitCommit: ruleSet.version.gitCommit, gitDirty: ruleSet.version.gitDirty } }, at);
      await notify(tx, rulesChannel, ruleSet.version.hash);
      return before;
    });
    cache.set(ruleSet.version.hash, ruleSet);
    return previous;
  };

  const first = readDirectory();
  if (first.result.ruleSet === null) throw new RulesDoNotCompile(first.result.diagnostics, first.result.sources);
  // A replica starting with the rules it was deployed with makes them the active version.
  await activate(first.result.ruleSet, first.files, 'system');
  let current: RuleSet = first.result.ruleSet;

  const byVersion = async (hash: string, executor: DbExecutor = db): Promise<RuleSet> => {
    const cached = cache.get(hash);
    if (cached !== undefined) return cached;
    const stored = await loadVersion(executor, hash);
    if (stored === null) throw new Error(`rules version ${hash} is not in the database`);
    const compiled = compileSources(stored.files, { ...compileOptions(), gitCommit: stored.gitCommit, gitDirty: stored.gitDirty });
    if (compiled.ruleSet === null) throw new Error(`rules version ${hash} no longer compiles`);
    cache.set(hash, compiled.ruleSet);
    return compiled.ruleSet;
  };

  const follow = async (): Promise<void> => {
    const hash = await activeHash(db);
    if (hash === null || hash === current.version.hash) return;
    current = await byVersion(hash);
    deps.log.info({ rules: hash.slice(0, 12) }, 'rules version activated by another replica');
  };

  const unlisten = await deps.database.listen(rulesChannel, () => {
    follow().catch((e: unknown) => deps.log.error(errorFields(e), 'could not follow the active rules version'));
  });
  // A reload between this replica's start and its listening would otherwise go unheard.
  await follow();

  return {
    active: () => current,
    byVersion,
    follow,
    async reload(by) {
      const { files, result } = readDirectory();
      if (result.ruleSet === null) return { status: 'refused', diagnostics: result.diagnostics, sources: result.sources, active: current.version };
      const previous = await activate(result.ruleSet, files, by);
      const changed = previous !== result.ruleSet.version.hash;
      current = result.ruleSet;
      return changed ? { status: 'activated', version: current.version, previous } : { status: 'unchanged', version: current.version };
    },
    stop: unlisten,
  };
}
