// The README's start command as a newcomer runs it: a real `pagerless serve` process.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

describe('pagerless serve', () => {
  it('starts with the example hospital on PGlite, shows the admin token once, pages through the development channel on the console, and stops cleanly on SIGTERM', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'pagerless-serve-')), 'pglite');
    const child = spawn(process.execPath, ['bin/pagerless.js', 'serve'], { env: { ...process.env, PORT: '0', PAGERLESS_DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start within 60 s:\n${stderr}`)), 60_000);
      child.stderr.on('data', () => {
        const m = /listening on (http:\/\/\S+)/.exec(stderr);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.on('exit', (code) => reject(new Error(`exited with ${code}:\n${stderr}`)));
    });
    expect(stderr).toMatch(/First start: the admin token is\s+plk_admin_\S+/);
    const token = /plk_admin_\S+/.exec(stderr)![0];
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok' });
    expect((await fetch(`${url}/v1/rules`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);

    // The README's walk-through: a key for the lab, a critical result, its first notification on the console.
    const json = (auth: string, body: unknown) => ({ method: 'POST', headers: { Authorization: `Bearer ${auth}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const { token: lab } = (await (await fetch(`${url}/v1/tokens`, json(token, { source: 'lab' }))).json()) as { token: string };
    const alert = await fetch(`${url}/v1/alerts`, json(lab, { alert: { flag: 'HH', priority: 'stat', test: 'K', unit: '5W', patient: { name: 'Jane Roe' } } }));
    expect(alert.status).toBe(202);
    const { page } = (await alert.json()) as { page: { id: string } };
    await vi.waitFor(() => expect(stdout).toContain(`[dev push]`), { timeout: 10_000 });
    expect(stdout).toContain(`page ${page.id.slice(0, 8)} step 0.0: Critical result / K on 5W`);
    expect(stdout + stderr).not.toContain('Jane');
    const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  }, 90_000);
});
