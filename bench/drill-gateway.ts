// The gateway as the benchmarks run it: in this process, on the drill hospital
// (test/support/drill-hospital.ts: someone always on call, a ladder in seconds), with fresh
// audit and PHI keys, silent logs, the engine running, and channels the benchmark chooses.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pino } from 'pino';
import { startGateway, type Gateway } from '../src/app.js';
import type { ChannelSet } from '../src/channels/index.js';
import { configFromEnv } from '../src/config.js';
import { writeDrillHospital, type DrillHospital } from '../test/support/drill-hospital.js';

export interface DrillGatewayOptions {
  /** Where the hospital's files (and PGlite's data, without `databaseUrl`) go. */
  readonly dir: string;
  /** A PostgreSQL database; null: PGlite in `dir`. */
  readonly databaseUrl: string | null;
  readonly stepSeconds: number;
  readonly ladder: 'full' | 'short';
  readonly channels: ChannelSet;
}

/** The benchmarks run in real time: the gateway's clock, and its channels'. */
export const wallClock = (): Date => new Date();

export async function startDrillGateway(options: DrillGatewayOptions): Promise<{ gateway: Gateway; hospital: DrillHospital }> {
  const hospital = writeDrillHospital(options.dir, { now: new Date(), stepSeconds: options.stepSeconds, ladder: options.ladder });
  const config = configFromEnv({
    PORT: '0',
    ...(options.databaseUrl === null ? {} : { DATABASE_URL: options.databaseUrl }),
    PAGERLESS_RULES_DIR: hospital.rulesDir,
    PAGERLESS_SOURCES: hospital.sourcesFile,
    PAGERLESS_DATA_DIR: join(options.dir, 'pglite'),
    LOG_LEVEL: 'silent',
  });
  const gateway = await startGateway(config, {
    clock: wallClock,
    env: { PAGERLESS_AUDIT_KEY: randomBytes(32).toString('hex'), PAGERLESS_PHI_KEY: randomBytes(32).toString('hex') },
    onFirstAdminToken: () => {},
    log: pino({ level: 'silent' }),
    background: true,
    channels: options.channels,
  });
  return { gateway, hospital };
}
