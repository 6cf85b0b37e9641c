// Which database the environment asks for: PostgreSQL when DATABASE_URL is set, else PGlite in
// PAGERLESS_DATA_DIR (default .data/pglite). Checked here, with a message that says what is wrong.
import { z } from 'zod';
import type { DatabaseConfig } from './client.js';

const envSchema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must be a postgres:// URL')
    .optional(),
  PAGERLESS_DATA_DIR: z.string().min(1).default('.data/pglite'),
});

export function databaseConfigFromEnv(env: Readonly<Record<string, string | undefined>>): DatabaseConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n'));
  const { DATABASE_URL, PAGERLESS_DATA_DIR } = parsed.data;
  return DATABASE_URL === undefined ? { driver: 'pglite', dataDir: PAGERLESS_DATA_DIR } : { driver: 'postgres', url: DATABASE_URL };
}
