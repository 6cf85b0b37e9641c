// The intake's lookup of (source, key) pairs: few statement texts whatever the batch's size.
import { sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.js';
import { sourceKeyIn } from '../../src/dispatch/open-page.js';

describe('sourceKeyIn', () => {
  it('pads its list to a power of two, so batches of every size share a few statement texts, the padding repeating the last pair', () => {
    const dialect = new PgDialect();
    const text = (n: number) => dialect.sqlToQuery(sql`select 1 from pages where ${sourceKeyIn(tables.pages.source, tables.pages.dedupKey, Array.from({ length: n }, (_, i) => ['lab', `k${i}`] as const))}`).sql;
    expect(new Set([1, 2, 3, 4, 5, 8, 9, 16, 17, 100].map(text)).size).toBe(7); // padded to 1, 2, 4, 8, 16, 32 and 128
    expect(text(3)).toBe(text(4));
    expect(text(5)).toBe(text(8));
    expect(text(4)).not.toBe(text(5));
    const params = dialect.sqlToQuery(sourceKeyIn(tables.pages.source, tables.pages.dedupKey, [['lab', 'a'], ['ris', 'b'], ['lab', 'c']])).params;
    expect(params).toEqual(['lab', 'a', 'ris', 'b', 'lab', 'c', 'lab', 'c']);
  });
});
