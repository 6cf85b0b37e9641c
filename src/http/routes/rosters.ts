// PUT /v1/rosters/:source: a scheduling system pushes its roster. The body's content type must
// be the source's format; the feed is imported whole or not at all.
import { Hono } from 'hono';
import { didYouMean } from '../../../grammar/index.js';
import type { ImportOutcome, SourceConfig, SourcesConfig } from '../../roster/index.js';
import { HttpError } from '../errors.js';
import { requestText } from '../body.js';

const contentTypes: Readonly<Record<SourceConfig['format'], readonly string[]>> = {
  ical: ['text/calendar'],
  csv: ['text/csv'],
  json: ['application/json'],
};

export function rosterRoutes(deps: { sources: SourcesConfig; importRoster: (source: SourceConfig, text: string) => Promise<ImportOutcome> }): Hono {
  return new Hono().put('/:source', async (c) => {
    const name = c.req.param('source');
    const source = deps.sources.get(name);
    if (source === undefined) {
      throw new HttpError(404, 'unknown_source', `no roster source is called "${name}"`, { hint: didYouMean(name, deps.sources.keys()) ?? null, sources: [...deps.sources.keys()] });
    }
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (!contentTypes[source.format].includes(type)) {
      throw new HttpError(415, 'unsupported_media_type', `the ${name} roster is ${source.format}: send it as ${contentTypes[source.format].join(' or ')}`, { got: type || null });
    }
    const outcome = await deps.importRoster(source, await requestText(c));
    switch (outcome.status) {
      case 'imported':
        return c.json({ source: name, status: 'imported', counts: outcome.counts });
      case 'rejected':
        throw new HttpError(400, 'invalid_roster', `the ${name} roster was rejected; the roster in force is unchanged`, { problems: outcome.problems });
      case 'busy':
        throw new HttpError(409, 'import_in_progress', `the ${name} roster is being imported already; try again in a moment`);
    }
  });
}
