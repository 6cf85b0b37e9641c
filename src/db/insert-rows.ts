// Many rows in one INSERT whose text is the same however many rows there are: the rows travel as
// one JSON parameter, which the database turns back into the table's row type
// (jsonb_populate_recordset). Drizzle's own multi-row insert builds a parameter per value: in a
// storm of pages that cost the gateway more CPU than anything else did, and each row count was
// another statement for the driver to prepare. For the hot writes of the dispatch core.
import { getTableColumns, getTableName, sql, type Column, type SQL, type InferInsertModel, type InferSelectModel } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { rowsOf, type DbExecutor } from './client.js';

export interface InsertRowsOptions {
  /** Rows that would break a unique key are left out (and not returned). */
  readonly onConflictDoNothing?: boolean;
  /**
   * A statement that changes rows (with RETURNING), run first as part of the same statement:
   * the rows are inserted only when it changed one. One round trip for a guarded insert.
   */
  readonly onlyIf?: SQL;
}

/** Inserts `rows` and answers the rows written, as drizzle's `.returning()` would. */
export async function insertRows<T extends PgTable>(tx: DbExecutor, table: T, rows: readonly InferInsertModel<T>[], options: InsertRowsOptions = {}): Promise<InferSelectModel<T>[]> {
  if (rows.length === 0) return [];
  const columns = Object.entries(getTableColumns(table)) as [string, Column][];
  const given = columns.filter(([key]) => rows.some((row) => (row as Record<string, unknown>)[key] !== undefined));
  const document = rows.map((row) => {
    const values: Record<string, unknown> = {};
    for (const [key, column] of given) {
      const value = (row as Record<string, unknown>)[key];
      if (value === undefined && column.hasDefault) throw new Error(`insertRows into ${getTableName(table)}: some rows give ${key} and some leave it to its default; give it in every row or in none`);
      // JSON columns go in as they are; the rest as the driver would be given them.
      values[column.name] = value === undefined || value === null ? null : column.dataType === 'json' ? value : column.mapToDriverValue(value);
    }
    return values;
  });
  const names = sql.join(
    given.map(([, column]) => sql.identifier(column.name)),
    sql`, `,
  );
  const name = sql.identifier(getTableName(table));
  const guard = options.onlyIf === undefined ? { with: sql``, where: sql`` } : { with: sql`with guard as (${options.onlyIf}) `, where: sql` where exists (select from guard)` };
  const result = await tx.execute(
    sql`${guard.with}insert into ${name} (${names}) select ${names} from jsonb_populate_recordset(null::${name}, ${JSON.stringify(document)}::jsonb)${guard.where} ${options.onConflictDoNothing === true ? sql`on conflict do nothing` : sql``} returning *`,
  );
  return rowsOf<Record<string, unknown>>(result).map((written) => {
    const row: Record<string, unknown> = {};
    for (const [key, column] of columns) {
      const value = written[column.name];
      row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
    }
    return row as InferSelectModel<T>;
  });
}
