// Errors in logs: a database error's text (which quotes the statement's parameters) never
// reaches a log line, however it is wrapped; our own errors keep their message.
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { errorFields } from '../../src/log-fields.js';
import { databasePerTest, testDriver } from '../support/db.js';

const fresh = databasePerTest();

describe(`error fields for logs (${testDriver})`, () => {
  it('give the name and SQLSTATE of a failed query, never its text or parameters', async () => {
    const d = await fresh();
    const error = await d.db.execute(sql`select * from pages where dedup_key = ${'MRN-778899'} and id = ${'not-a-uuid'}::uuid`).catch((e: unknown) => e);
    const fields = errorFields(error);
    expect(fields).toEqual({ error: expect.any(String), code: '22P02' });
    expect(JSON.stringify(fields)).not.toContain('778899');
  });

  it('keep the message of an error of ours', () => {
    expect(errorFields(new RangeError('no step 4 in route 2'))).toEqual({ error: 'RangeError', code: null, message: 'no step 4 in route 2' });
  });
});
