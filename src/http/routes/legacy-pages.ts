// PUT /v1/legacy-pages?zone=…: operations upload the paging vendor's log of the legacy pager
// groups (CSV), the baseline the retirement figures compare against. The log is imported whole
// or not at all; uploading it again adds nothing.
import { Hono } from 'hono';
import { IANAZone } from 'luxon';
import type { Db } from '../../db/index.js';
import { parseLegacyLog } from '../../retirement/legacy-log.js';
import { importLegacyLog } from '../../retirement/legacy-store.js';
import type { AuthVariables } from '../auth.js';
import { HttpError } from '../errors.js';
import { requestText } from '../body.js';

/** A month of every pager group of a large hospital; the app's body limit usually bites first. */
const defaultMaxRows = 100_000;
/** Problems listed in an answer: enough to fix a log by, few enough to read. */
const maxProblemsShown = 100;

export interface LegacyPageDeps {
  readonly db: Db;
  readonly auditKey: Buffer;
  readonly clock: () => Date;
  /** Legacy pager group → workflow, from the active rules (`legacyGroupsOf(rules.active().workflows)`). */
  readonly groups: () => ReadonlyMap<string, string>;
  readonly maxRows?: number;
}

export function legacyPageRoutes(deps: LegacyPageDeps): Hono<{ Variables: AuthVariables }> {
  return new Hono<{ Variables: AuthVariables }>().put('/', async (c) => {
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'text/csv') throw new HttpError(415, 'unsupported_media_type', 'send the legacy pager log as text/csv', { got: type || null });
    const zone = c.req.query('zone') ?? 'UTC';
    if (!IANAZone.isValidZone(zone)) {
      throw new HttpError(400, 'invalid_parameter', 'zone must be an IANA time zone (like America/Chicago): the zone of the log times written without an offset', { zone });
    }
    const parsed = parseLegacyLog(await requestText(c), { zone, groups: deps.groups(), maxRows: deps.maxRows ?? defaultMaxRows });
    if (!parsed.ok) {
      const count = parsed.problems.length;
      throw new HttpError(400, 'invalid_legacy_log', `the legacy pager log has ${count === 1 ? 'a problem' : `${count} problems`}; nothing was imported`, {
        problems: parsed.problems.slice(0, maxProblemsShown),
        more: Math.max(0, count - maxProblemsShown),
      });
    }
    const holder = c.get('holder');
    const counts = await importLegacyLog(deps.db, deps.auditKey, parsed.rows, deps.clock(), `${holder.kind}:${holder.name}`);
    // The log's pages per workflow, new and already known alike.
    const workflows = new Map<string, number>();
    for (const row of parsed.rows) workflows.set(row.workflow, (workflows.get(row.workflow) ?? 0) + 1);
    return c.json({ imported: counts.imported, alreadyKnown: counts.alreadyKnown, workflows: Object.fromEntries(workflows) });
  });
}
