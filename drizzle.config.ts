import { defineConfig } from 'drizzle-kit';

// `npx drizzle-kit generate` writes a migration for each schema change into src/db/migrations;
// the gateway applies them at start (src/db/migrate.ts).
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema.ts',
  out: './src/db/migrations',
});
