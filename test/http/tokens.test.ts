// POST /v1/tokens: operations issue a clinical system's key or a person's token over the API
// (the command line cannot while the gateway holds its PGlite database).
import { describe, expect, it } from 'vitest';
import { testDriver } from '../support/db.js';
import { gatewayPerTest } from '../support/gateway.js';

const start = gatewayPerTest();
const night = new Date('2026-11-01T07:30:00Z');

describe(`issuing credentials (${testDriver})`, () => {
  it('issues a source key that posts alerts and a person token that acknowledges their page, each shown once', async () => {
    const t = await start({ at: night });
    const lab = await t.call('POST', '/v1/tokens', t.admin, { source: 'lab' });
    expect(lab.status).toBe(201);
    const { token: labKey } = (await lab.json()) as { token: string };
    expect(labKey).toMatch(/^plk_source_/);
    const alert = await t.call('POST', '/v1/alerts', labKey, { alert: { flag: 'HH', priority: 'stat', test: 'K', unit: '5W' } });
    const { page } = (await alert.json()) as { page: { id: string } };
    await t.g.drain();

    const person = await t.call('POST', '/v1/tokens', t.admin, { person: 'amion:A-1004' });
    expect(await person.clone().json()).toMatchObject({ holder: { kind: 'person', name: 'amion:A-1004' } });
    const { token } = (await person.json()) as { token: string };
    expect((await t.call('POST', `/v1/pages/${page.id}/ack`, token)).status).toBe(200);
    const audit = (await (await t.call('GET', '/v1/audit?kind=token.issued&limit=10', t.admin)).json()) as { events: { data: { name: string } }[] };
    expect(audit.events.map((e) => e.data.name)).toEqual(['operations', 'lab', 'amion:A-1004']);
    expect(JSON.stringify(audit)).not.toContain(token);
  });

  it('refuses an unknown person, a bad name, a bad body and anyone but operations', async () => {
    const t = await start({ at: night });
    const lab = await t.token({ kind: 'source', name: 'lab' });
    const cases: [unknown, string | null, number, string][] = [
      [{ person: 'amion:A-9999' }, t.admin, 404, 'unknown_person'],
      [{ source: 'Lab System' }, t.admin, 400, 'invalid_name'],
      [{ source: 'lab', person: 'amion:A-1004' }, t.admin, 400, 'invalid_body'],
      [{ admin: 'me' }, t.admin, 400, 'invalid_body'],
      [{ source: 'lab' }, lab, 403, 'forbidden'],
      [{ source: 'lab' }, null, 401, 'unauthenticated'],
    ];
    for (const [body, token, status, code] of cases) {
      const res = await t.call('POST', '/v1/tokens', token, body);
      expect({ body, status: res.status, code: ((await res.json()) as { error: { code: string } }).error.code }).toEqual({ body, status, code });
    }
    const text = await t.call('POST', '/v1/tokens', t.admin, 'source=lab', { 'Content-Type': 'text/plain' });
    expect(text.status).toBe(415);
  });
});
