// POST /v1/alerts: a clinical system's alert, authenticated by its source key. Answers 202 once
// the page is committed, 200 for a repeat (dedup key) or a replay (Idempotency-Key).
import { Hono } from 'hono';
import type { RosterLookup, RuleSet } from '../../../grammar/index.js';
import { validateAlert } from '../../../grammar/index.js';
import type { OpenPageInput, OpenPageResult } from '../../dispatch/index.js';
import { parseNativeAlert } from '../../ingest/native.js';
import type { ArrivalVariables } from '../arrival.js';
import type { AuthVariables } from '../auth.js';
import { HttpError } from '../errors.js';
import { readJsonBody } from '../json-body.js';

export interface AlertRouteDeps {
  readonly rules: () => RuleSet;
  readonly roster: () => RosterLookup;
  readonly openPage: (input: OpenPageInput) => Promise<OpenPageResult>;
  readonly findIdempotent: (source: string, key: string) => Promise<OpenPageResult | null>;
}

export function alertRoutes(deps: AlertRouteDeps): Hono<{ Variables: AuthVariables & ArrivalVariables }> {
  return new Hono<{ Variables: AuthVariables & ArrivalVariables }>().post('/', async (c) => {
    const answer = (result: OpenPageResult) =>
      c.json(
        {
          alert: { id: result.alertId },
          page: { id: result.pageId, workflow: result.workflow, rulesVersion: result.rulesVersion },
          ...(result.kind === 'opened' ? {} : { repeat: result.kind }),
        },
        result.kind === 'opened' ? 202 : 200,
      );
    const source = c.get('holder').name;
    const idempotencyKey = c.req.header('idempotency-key') ?? null;
    if (idempotencyKey !== null && (idempotencyKey.length === 0 || idempotencyKey.length > 200)) {
      throw new HttpError(400, 'invalid_idempotency_key', 'an Idempotency-Key is 1 to 200 characters');
    }
    // A retry of a request that was answered before gets that answer again, whatever has
    // changed since (the rules, the roster, even the body).
    if (idempotencyKey !== null) {
      const seen = await deps.findIdempotent(source, idempotencyKey);
      if (seen !== null) return answer(seen);
    }
    const body = await readJsonBody(c);
    const envelope = parseNativeAlert(body);
    if (!envelope.ok) throw new HttpError(400, 'invalid_alert', 'the body is not a Pagerless alert: { "dedupKey"?: "…", "alert": { … } }', { issues: envelope.issues });

    const rules = deps.rules();
    const fields: Record<string, unknown> = { ...envelope.value.alert };
    // The key says which system is talking; an alert may not claim to come from another one.
    if (rules.schema.fields['source'] !== undefined) {
      if (fields['source'] === undefined) fields['source'] = source;
      else if (fields['source'] !== source) throw new HttpError(403, 'source_mismatch', `a key of source "${source}" may not post alerts of source "${String(fields['source'])}"`);
    }
    const validated = validateAlert(rules.schema, fields);
    if (!validated.ok) throw new HttpError(400, 'invalid_alert', 'the alert does not fit the schema of the rules', { issues: validated.issues });

    // The page opens when the request arrived (noteArrival), not once it has been read and checked.
    const receivedAt = c.get('arrivedAt');
    const roster = deps.roster();
    const decision = rules.route(validated.alert, receivedAt, roster);
    if (decision.kind === 'unmatched') {
      const explained = rules.route(validated.alert, receivedAt, roster, { explain: true });
      throw new HttpError(422, 'unroutable', 'no route of the rules matches this alert, and the rules have no catch-all route', {
        rulesVersion: rules.version.hash,
        misses: explained.misses,
      });
    }
    const result = await deps.openPage({
      source,
      dedupKey: envelope.value.dedupKey ?? null,
      idempotencyKey,
      alert: validated.alert,
      ruleSet: rules,
      match: decision.match,
      roster,
      receivedAt,
    });
    return answer(result);
  });
}
