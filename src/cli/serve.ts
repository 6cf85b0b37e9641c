// `pagerless serve`: the gateway, until SIGINT or SIGTERM.
import { startGateway, StartupError } from '../app.js';
import { AuditKeyError } from '../audit/index.js';
import { ConfigError, configFromEnv, type GatewayConfig } from '../config.js';
import { DataDirInUseError } from '../db/index.js';
import type { CliIo } from './io.js';

export async function serveCommand(io: CliIo, env: Readonly<Record<string, string | undefined>>, clock: () => Date): Promise<number> {
  let config: GatewayConfig;
  try {
    config = configFromEnv(env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    io.err(e.message);
    return 2;
  }
  let gateway;
  try {
    gateway = await startGateway(config, {
      clock,
      env,
      printDelivery: (line) => io.out(line),
      onFirstAdminToken: (token) =>
        io.err(`\nFirst start: the admin token is\n\n  ${token}\n\nIt is shown this once and stored only as a hash. Keep it: it signs you in to /v1 and /dashboard.\n`),
    });
  } catch (e) {
    if (e instanceof StartupError || e instanceof DataDirInUseError || e instanceof AuditKeyError) {
      io.err(e.message);
      return 1;
    }
    throw e;
  }
  io.err(`Pagerless is listening on ${gateway.url} (rules from ${config.rulesDir}, rosters from ${config.sourcesFile}, ${config.database.driver === 'pglite' ? `PGlite in ${config.dataDir}` : 'PostgreSQL'})`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await gateway.stop();
  return 0;
}
