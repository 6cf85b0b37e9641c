// Rules versions in the running gateway: a reload activates new rules for every replica, is
// refused (and changes nothing) when they do not compile, and a page keeps escalating by the
// version that routed it, across reloads and restarts.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { DevDelivery } from '../../src/channels/index.js';
import { testDriver } from '../support/db.js';
import { gatewayPerTest, MINUTE, type TestGateway } from '../support/gateway.js';

const start = gatewayPerTest();
const night = new Date('2026-11-01T07:30:00Z');
const critical = { alert: { flag: 'HH', priority: 'stat', test: 'K', value: 6.9, unit: '5W' } };
const ladderFile = '10-critical-results.rules';

/** The example hospital's rules, copied where the test may edit them. */
function rulesCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pagerless-rules-'));
  cpSync('rules', dir, { recursive: true });
  return dir;
}

function edit(dir: string, file: string, from: string, to: string): void {
  const text = readFileSync(join(dir, file), 'utf8');
  if (!text.includes(from)) throw new Error(`${file} has no "${from}"`);
  writeFileSync(join(dir, file), text.replace(from, to));
}

const voiceAt2m = 'notify ordering-provider via voice              at 2m unless acked';
const voiceAt3m = 'notify ordering-provider via voice              at 3m unless acked';

async function raise(t: TestGateway, lab: string): Promise<{ id: string; rulesVersion: string }> {
  const res = await t.call('POST', '/v1/alerts', lab, critical);
  expect(res.status).toBe(202);
  await t.g.drain();
  return ((await res.json()) as { page: { id: string; rulesVersion: string } }).page;
}

const voiceCalls = (t: TestGateway, pageId: string) => t.g.devDeliveries.filter((d: DevDelivery) => d.pageId === pageId && d.channel === 'voice');

describe(`rules versions (${testDriver})`, () => {
  it('a reload activates the new rules for new alerts, while an open page escalates by the rules that routed it', async () => {
    const dir = rulesCopy();
    const t = await start({ at: night, env: { PAGERLESS_RULES_DIR: dir } });
    const lab = await t.token({ kind: 'source', name: 'lab' });
    const before = ((await (await t.call('GET', '/v1/rules', t.admin)).json()) as { version: { hash: string } }).version.hash;
    const old = await raise(t, lab);
    expect(old.rulesVersion).toBe(before);
    const keyedRes = await t.call('POST', '/v1/alerts', lab, critical, { 'Idempotency-Key': 'hl7-1' });
    expect(keyedRes.status).toBe(202);
    const keyed = ((await keyedRes.json()) as { page: { id: string } }).page;

    edit(dir, ladderFile, voiceAt2m, voiceAt3m);
    const reload = await t.call('POST', '/v1/rules/reload', t.admin);
    expect(reload.status).toBe(200);
    const body = (await reload.json()) as { status: string; version: { hash: string }; previous: string };
    expect(body).toMatchObject({ status: 'activated', previous: before });
    expect(body.version.hash).not.toBe(before);
    expect(((await (await t.call('GET', '/v1/rules', t.admin)).json()) as { version: { hash: string } }).version.hash).toBe(body.version.hash);

    const fresh = await raise(t, lab);
    expect(fresh.rulesVersion).toBe(body.version.hash);
    // A retry of the first alert gets the first answer: its page, routed by the old rules.
    const retry = await t.call('POST', '/v1/alerts', lab, critical, { 'Idempotency-Key': 'hl7-1' });
    expect(retry.status).toBe(200);
    expect(await retry.json()).toMatchObject({ page: { id: keyed.id, workflow: 'critical-results', rulesVersion: before }, repeat: 'replayed' });
    // Even when what the retry carries would no longer route.
    const garbled = await t.call('POST', '/v1/alerts', lab, { alert: { flag: 'N' } }, { 'Idempotency-Key': 'hl7-1' });
    expect(await garbled.json()).toMatchObject({ page: { id: keyed.id, rulesVersion: before } });
    await t.advance(2 * MINUTE);
    expect(voiceCalls(t, old.id)).toHaveLength(1); // the old ladder: voice at 2m
    expect(voiceCalls(t, fresh.id)).toHaveLength(0); // the new one: at 3m
    await t.advance(MINUTE);
    expect(voiceCalls(t, fresh.id)).toHaveLength(1);

    // Reloading the same files again changes nothing.
    expect(await (await t.call('POST', '/v1/rules/reload', t.admin)).json()).toMatchObject({ status: 'unchanged', version: { hash: body.version.hash } });
    const audit = (await (await t.call('GET', '/v1/audit?kind=rules&limit=10', t.admin)).json()) as { events: { kind: string; actor: string }[] };
    expect(audit.events.map((e) => `${e.kind} ${e.actor}`)).toEqual(['rules.activated system', 'rules.activated admin:operations']);
  });

  it('refuses rules that do not compile, with each error at file:line:col, and keeps the active version', async () => {
    const dir = rulesCopy();
    const t = await start({ at: night, env: { PAGERLESS_RULES_DIR: dir } });
    const lab = await t.token({ kind: 'source', name: 'lab' });
    const active = ((await (await t.call('GET', '/v1/rules', t.admin)).json()) as { version: { hash: string } }).version.hash;
    edit(dir, ladderFile, 'stage parallel', 'stage paralel');
    const res = await t.call('POST', '/v1/rules/reload', t.admin);
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { code: string; details: { active: { hash: string }; diagnostics: { file: string; line: number; column: number; code: string; message: string }[] } } };
    expect(body.error.code).toBe('rules_invalid');
    expect(body.error.details.active.hash).toBe(active);
    expect(body.error.details.diagnostics[0]).toMatchObject({ file: join(dir, ladderFile), line: 5, column: 9, code: 'E116' });
    expect(((await (await t.call('GET', '/v1/rules', t.admin)).json()) as { version: { hash: string } }).version.hash).toBe(active);
    expect((await raise(t, lab)).rulesVersion).toBe(active);
    expect((await t.call('POST', '/v1/rules/reload', lab)).status).toBe(403);
    expect((await t.call('POST', '/v1/rules/reload', null)).status).toBe(401);
  });

  it('every replica follows a reload, and a page routed before a restart escalates by its own rules afterwards', async () => {
    const dir = rulesCopy();
    const a = await start({ at: night, env: { PAGERLESS_RULES_DIR: dir } });
    const lab = await a.token({ kind: 'source', name: 'lab' });
    const b = await start({ at: night, env: { PAGERLESS_RULES_DIR: dir }, database: a.g.database, keys: a, deps: { clock: a.clock } });
    const old = await raise(a, lab);
    console.log('raised');

    edit(dir, ladderFile, voiceAt2m, voiceAt3m);
    const reloaded = ((await (await a.call('POST', '/v1/rules/reload', a.admin)).json()) as { version: { hash: string } }).version.hash;
    console.log('reloaded');
    await vi.waitFor(() => expect(b.g.rules.active().version.hash).toBe(reloaded), { timeout: 5000 });
    console.log('followed');

    // A replaced by a replica that starts with the new rules: the old page still follows the old ladder.
    await a.g.stop();
    console.log('stopped');
    const c = await start({ at: night, env: { PAGERLESS_RULES_DIR: dir }, database: b.g.database, keys: a, deps: { clock: a.clock, log: (await import('pino')).pino({ level: 'trace' }) } });
    console.log('c started');
    a.clock.advance(2 * MINUTE);
    await c.g.drain();
    await b.g.drain();
    expect([...voiceCalls(b, old.id), ...voiceCalls(c, old.id)]).toHaveLength(1);
  });
});
