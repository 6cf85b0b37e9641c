// A history of pages whose figures are known by hand, made through the gateway itself: six
// critical-results pages opened at the same instant (01:30 CST on Sunday 1 November 2026), each
// answered differently as the clock moves, and a legacy pager log for the same workflow.
//
//   page  unit  what happens                                              ack after  missed  escalated
//   A     5W    Dr. Ruiz acknowledges (API) before any later step          60 s       no      no
//   B     5W    Dr. Ruiz acknowledges after the voice step (2 min)        180 s       no      yes
//   C     5W    Dr. Sahin, the nocturnist (5 min step), acknowledges     360 s       no      yes
//            in the app
//   D     4E    nobody: the ladder runs out at 45 min (last step at 40,    —          yes     no
//            then 5 min to answer)
//   E     4E    the lab resolves it after 30 s                             —          no      no
//   F     4E    Dr. Ruiz acknowledges at 50 min, after the ladder ran out 3000 s     yes     yes
//
// Acknowledged after 60, 180, 360 and 3000 s: p50 270, p90 2208, p95 2604, mean 900 (interpolated
// percentiles). The legacy pager was paged (10 min step) before anyone acknowledged on D and F.
// The legacy log: acknowledged after 120, 300 and 600 s, and one page with no acknowledgement:
// p50 300, p90 540, p95 570, mean 340.
import { tables } from '../../src/db/index.js';
import { MINUTE, type TestGateway } from './gateway.js';

export const historyStart = new Date('2026-11-01T07:30:00Z');
export const dana = 'amion:A-1004';
export const elif = 'amion:A-1101';

const alert = (test: string, unit: string) => ({ alert: { flag: 'HH', priority: 'stat', test, value: 6.9, unit, bed: '12', patient: { name: 'Jane Roe', mrn: 'MRN-778899' } } });

export async function seedHistory(t: TestGateway): Promise<Record<'A' | 'B' | 'C' | 'D' | 'E' | 'F', string>> {
  const lab = await t.token({ kind: 'source', name: 'lab' });
  const tokens: Record<string, string> = { [dana]: await t.token({ kind: 'person', name: dana }), [elif]: await t.token({ kind: 'person', name: elif }) };
  const ids: Record<string, string> = {};
  for (const [name, test, unit] of [['A', 'K', '5W'], ['B', 'Na', '5W'], ['C', 'Ca', '5W'], ['D', 'Mg', '4E'], ['E', 'P', '4E'], ['F', 'Glu', '4E']] as const) {
    const res = await t.call('POST', '/v1/alerts', lab, alert(test, unit));
    if (res.status !== 202) throw new Error(`alert ${name}: ${res.status}`);
    ids[name] = ((await res.json()) as { page: { id: string } }).page.id;
  }
  await t.g.drain();
  const ack = async (page: string, who: string, via: 'api' | 'app' = 'api') => {
    const res = await t.call('POST', `/v1/pages/${ids[page]}/ack`, tokens[who]!, { via });
    if (res.status !== 200) throw new Error(`ack ${page}: ${res.status} ${await res.text()}`);
  };
  // Every step is fired on its minute, as a running gateway would.
  const untilMinute = async (seconds: number) => {
    while (t.clock().getTime() + MINUTE <= historyStart.getTime() + seconds * 1000) await t.advance(MINUTE);
    await t.advance(historyStart.getTime() + seconds * 1000 - t.clock().getTime());
  };
  await untilMinute(30);
  const resolved = await t.call('POST', `/v1/pages/${ids['E']}/resolve`, lab);
  if (resolved.status !== 200) throw new Error(`resolve E: ${resolved.status}`);
  await untilMinute(60);
  await ack('A', dana);
  await untilMinute(180);
  await ack('B', dana);
  await untilMinute(360);
  await ack('C', elif, 'app');
  await untilMinute(50 * 60);
  await ack('F', dana);

  const legacy = (minutesIn: number, ackSeconds: number | null, pagerId: string) => ({
    pagerGroup: 'LAB-CRIT-2231',
    pagerId,
    sentAt: new Date(historyStart.getTime() - 86_400_000 + minutesIn * MINUTE),
    acknowledgedAt: ackSeconds === null ? null : new Date(historyStart.getTime() - 86_400_000 + minutesIn * MINUTE + ackSeconds * 1000),
    category: 'critical lab',
    workflow: 'critical-results',
    importedAt: historyStart,
  });
  await t.g.database.db.insert(tables.legacyPages).values([legacy(0, 120, '2231-01'), legacy(10, 300, '2231-02'), legacy(20, 600, '2231-03'), legacy(30, null, '2231-04')]);
  return ids as Record<'A' | 'B' | 'C' | 'D' | 'E' | 'F', string>;
}
