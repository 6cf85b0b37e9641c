// `column = any(values)` with the values as one JSON parameter. drizzle's `inArray` gives each
// value a parameter of its own, so every count of values is another statement text for each
// connection to prepare and keep (src/db/prepared-statements.ts); this text is one, whatever
// the count. The array is an InitPlan worked out once, so an index on the column still serves.
import { sql, type Column, type SQL } from 'drizzle-orm';

/** A serial column's values are of the integer type under it; that is the type to cast to. */
const serialTypes: Readonly<Record<string, string>> = { smallserial: 'smallint', serial: 'integer', bigserial: 'bigint' };

export function anyOf(column: Column, values: readonly (string | number)[]): SQL {
  const type = column.getSQLType();
  return sql`${column} = any(array(select jsonb_array_elements_text(${JSON.stringify(values)}::jsonb)::${sql.raw(serialTypes[type] ?? type)}))`;
}
