// schedules/sources.json: where each roster comes from, how to read it, how often to refresh it
// and when it goes stale. Which roster, service and shift make up a role is said once, in the
// rules (`role x = roster "amion" service "Hospitalist" shift "Night"`); aliases here rename a
// source's own service and shift names to those.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { IANAZone } from 'luxon';
import { z } from 'zod';

const durationPattern = /^(?:\d+[dhms])+$/;

export function parseDuration(text: string): number {
  const units: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };
  let ms = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)([dhms])/g)) ms += Number(n) * units[unit!]!;
  return ms;
}

const duration = z
  .string()
  .regex(durationPattern, 'a duration like 15m, 26h or 1d12h')
  .transform(parseDuration)
  .refine((ms) => ms > 0, 'a duration longer than zero');
const zone = z.string().refine((z) => IANAZone.isValidZone(z), 'an IANA time zone like America/Chicago');
const names = z.record(z.string(), z.string());
const aliases = z.object({ service: names.optional(), shift: names.optional() }).strict();

const common = {
  /** Exactly one of file (relative to the config file) and url. */
  file: z.string().optional(),
  url: z.url().optional(),
  zone,
  refreshEvery: duration.default(parseDuration('15m')),
  staleAfter: duration.default(parseDuration('26h')),
  aliases: aliases.optional(),
};

const source = z
  .discriminatedUnion('format', [
    z
      .object({
        format: z.literal('csv'),
        ...common,
        columns: z
          .object({ personId: z.string(), personName: z.string(), phone: z.string(), service: z.string(), shift: z.string(), date: z.string(), start: z.string(), end: z.string(), kind: z.string() })
          .partial()
          .strict()
          .optional(),
      })
      .strict(),
    z
      .object({
        format: z.literal('json'),
        ...common,
        tasks: z.record(z.string(), z.object({ service: z.string(), shift: z.string() }).strict()),
        incremental: z.boolean().default(false),
      })
      .strict(),
    z
      .object({
        format: z.literal('ical'),
        ...common,
        service: z.string().optional(),
        shift: z.string().optional(),
        /** How far ahead recurring events are expanded. */
        horizonDays: z.number().int().min(1).max(730).default(120),
      })
      .strict(),
  ])
  .refine((s) => (s.file === undefined) !== (s.url === undefined), 'give exactly one of "file" and "url"');

const configSchema = z.object({ sources: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'a source name in lower case: letters, digits, - and _'), source) }).strict();

export type SourceConfig = z.infer<typeof source> & { readonly name: string };
export type SourcesConfig = ReadonlyMap<string, SourceConfig>;

export class SourcesConfigError extends Error {}

/** Reads and checks the mapping file; every problem named by its path in the file. */
export function loadSourcesConfig(path: string): SourcesConfig {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new SourcesConfigError(`${path}: ${(e as Error).message}`);
  }
  return parseSourcesConfig(json, path);
}

export function parseSourcesConfig(json: unknown, path: string): SourcesConfig {
  const parsed = configSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${path}: ${i.path.join('.') || '(top)'}: ${i.message}`);
    throw new SourcesConfigError(problems.join('\n'));
  }
  const base = dirname(path);
  return new Map(
    Object.entries(parsed.data.sources).map(([name, s]) => [name, { ...s, name, ...(s.file === undefined ? {} : { file: resolve(base, s.file) }) }]),
  );
}
