// Many rows in one INSERT whose text is the same however many rows there are: the rows travel as
// one JSON parameter, which the database turns back into the table's row type
// (jsonb_populate_recordset). Drizzle's own multi-row insert builds a parameter per value: in a
// storm of pages that cost the gateway more CPU than anything else did, and each row count was
// another statement for the driver to prepare. For the hot writes of the dispatch core.
import { getTableColumns, getTableName, sql, type Column, type SQL, type InferInsertModel, type InferSelectModel } from 'drizzle-orm';
import { PgDialect, type PgTable } from 'drizzle-orm/pg-core';
import { rowsOf, writtenCountOf, type DbExecutor } from './client.js';

/**
 * One or the other, never both: a guard that moved on (an audit chain's head) while some of its
 * rows were left out would point past rows that were never written.
 */
export type InsertRowsOptions =
  | {
      /** Rows that would break a unique key are left out (and not returned). */
      readonly onConflictDoNothing?: boolean;
      readonly onlyIf?: never;
    }
  | {
      /**
       * A statement that changes rows (with RETURNING), run first as part of the same statement:
       * the rows are inserted only when it changed one. One round trip for a guarded insert.
       * It needs rows: with none, nothing would run it.
       */
      readonly onlyIf: SQL;
      readonly onConflictDoNothing?: never;
    };

/** For its quoting of names, as drizzle's own statements quote them. */
const dialect = new PgDialect();

/**
 * The statement's text around its one parameter, for each table, set of columns given and
 * options: worked out once. Built by drizzle's `sql` each time, it cost more of a page's CPU
 * than its HMACs did (`npm run bench:dispatch`).
 */
const statementTexts = new WeakMap<PgTable, Map<string, { readonly head: SQL; readonly tail: SQL }>>();

function statementText(table: PgTable, given: readonly (readonly [string, Column])[], options: InsertRowsOptions, returning: boolean): { readonly head: SQL; readonly tail: SQL } {
  const guarded = options.onlyIf !== undefined;
  const skipConflicts = options.onConflictDoNothing === true;
  const key = `${guarded ? 'g' : ''}${skipConflicts ? 'c' : ''}${returning ? 'r' : ''}:${given.map(([k]) => k).join(',')}`;
  let texts = statementTexts.get(table);
  if (texts === undefined) statementTexts.set(table, (texts = new Map()));
  let text = texts.get(key);
  if (text === undefined) {
    const name = dialect.escapeName(getTableName(table));
    const names = given.map(([, column]) => dialect.escapeName(column.name)).join(', ');
    // Named, not `*`: a prepared statement's result must not change when a migration adds a column.
    const returned = Object.values(getTableColumns(table)).map((column) => dialect.escapeName(column.name)).join(', ');
    text = {
      head: sql.raw(`insert into ${name} (${names}) select ${names} from jsonb_populate_recordset(null::${name}, `),
      tail: sql.raw(`::jsonb)${guarded ? ' where exists (select from guard)' : ''}${skipConflicts ? ' on conflict do nothing' : ''}${returning ? ` returning ${returned}` : ''}`),
    };
    texts.set(key, text);
  }
  return text;
}

/** Each table's columns, by their key in drizzle's schema: read on every insert, listed once. */
const columnLists = new WeakMap<PgTable, readonly (readonly [string, Column])[]>();

function columnsOf(table: PgTable): readonly (readonly [string, Column])[] {
  let columns = columnLists.get(table);
  if (columns === undefined) columnLists.set(table, (columns = Object.entries(getTableColumns(table)) as [string, Column][]));
  return columns;
}

/** Inserts `rows` and answers the rows written, as drizzle's `.returning()` would. */
export async function insertRows<T extends PgTable>(tx: DbExecutor, table: T, rows: readonly InferInsertModel<T>[], options: InsertRowsOptions = {}): Promise<InferSelectModel<T>[]> {
  const result = await sendInsert(tx, table, rows, options, true);
  if (result === null) return [];
  const columns = columnsOf(table);
  return rowsOf<Record<string, unknown>>(result).map((written) => {
    const row: Record<string, unknown> = {};
    for (const [key, column] of columns) {
      const value = written[column.name];
      row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
    }
    return row as InferSelectModel<T>;
  });
}

/**
 * Inserts `rows` and answers how many were written, reading nothing back: for rows the caller
 * already holds, whose every column the database would otherwise send, and the driver parse,
 * to be thrown away.
 */
export async function writeRows<T extends PgTable>(tx: DbExecutor, table: T, rows: readonly InferInsertModel<T>[], options: InsertRowsOptions = {}): Promise<number> {
  const result = await sendInsert(tx, table, rows, options, false);
  return result === null ? 0 : writtenCountOf(result);
}

/** The insert statement for `rows`, sent; the driver's raw result, or null when there were no rows and nothing was sent. */
async function sendInsert<T extends PgTable>(tx: DbExecutor, table: T, rows: readonly InferInsertModel<T>[], options: InsertRowsOptions, returning: boolean): Promise<unknown> {
  if (rows.length === 0) {
    if (options.onlyIf !== undefined) throw new Error(`inserting into ${getTableName(table)}: a guarded insert of no rows would skip its guard`);
    return null;
  }
  const given = columnsOf(table).filter(([key]) => rows.some((row) => (row as Record<string, unknown>)[key] !== undefined));
  const document = rows.map((row) => {
    const values: Record<string, unknown> = {};
    for (const [key, column] of given) {
      const value = (row as Record<string, unknown>)[key];
      if (value === undefined && column.hasDefault) throw new Error(`inserting into ${getTableName(table)}: some rows give ${key} and some leave it to its default; give it in every row or in none`);
      // JSON columns go in as they are; the rest as the driver would be given them.
      values[column.name] = value === undefined || value === null ? null : column.dataType === 'json' ? value : column.mapToDriverValue(value);
    }
    return values;
  });
  const statement = statementText(table, given, options, returning);
  const guard = options.onlyIf === undefined ? sql`` : sql`with guard as (${options.onlyIf}) `;
  return tx.execute(sql`${guard}${statement.head}${JSON.stringify(document)}${statement.tail}`);
}
