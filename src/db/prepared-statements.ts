// postgres.js as drizzle's driver, its queries prepared.
//
// drizzle hands postgres.js every query as `unsafe(text, params, { prepare: false })` unless it
// was built with `.prepare(name)`. Unprepared, postgres.js first has the server describe the
// statement, to learn its parameters' types, and waits for that answer before it sends the
// query itself: two round trips per query, and none of the connection's queries can be
// pipelined behind it. The server also parses and plans the text every time. Prepared, a
// connection parses a text once and afterwards sends one message per run, pipelined
// (`npm run bench`, bench/README.md "Load").
//
// A connection keeps each text it has prepared until it is closed, and postgres.js replaces its
// connections after 30 to 60 minutes (`max_lifetime`). The hot statements have one text whatever
// their number of rows (`insertRows`, `anyOf`, JSON recordsets). A statement with many
// parameters is a multi-row write off the hot path (a roster's shifts, 500 at a time) whose text
// changes with its row count: it is left unprepared, as before, rather than kept for an hour.
// Statements name their result columns (drizzle does; `insertRows` too), so a migration that
// adds a column does not change a prepared statement's result type; the server plans it again.
import type postgres from 'postgres';

type AnySql = postgres.Sql | postgres.TransactionSql;

/** Above this many parameters, a statement is not prepared. */
const maxPreparedParameters = 64;

/** `sql` with its queries prepared, in its transactions and savepoints too. */
export function preparingStatements<S extends AnySql>(sql: S): S {
  return new Proxy(sql, {
    get(target, key, receiver) {
      if (key === 'unsafe') {
        const unsafe: AnySql['unsafe'] = (text, parameters, options) =>
          target.unsafe(text, parameters, { ...options, prepare: (parameters?.length ?? 0) <= maxPreparedParameters });
        return unsafe;
      }
      if (key === 'begin' || key === 'savepoint') {
        // (fn) or (options or name, fn): the callback is the last argument either way.
        return (...args: unknown[]) => {
          const callback = args.pop() as (tx: postgres.TransactionSql) => unknown;
          const open = Reflect.get(target, key, target) as (...a: unknown[]) => Promise<unknown>;
          return open.call(target, ...args, (tx: postgres.TransactionSql) => callback(preparingStatements(tx)));
        };
      }
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
}
