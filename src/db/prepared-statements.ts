// drizzle hands postgres.js every query as `unsafe(text, params, { prepare: false })`, unless it
// was built with `.prepare(name)`. Unprepared, postgres.js first has the server describe the
// statement, to learn its parameters' types, and waits for that answer before it sends the query
// itself: two round trips per query, and none of a connection's queries can be pipelined behind
// it. The server also parses and plans the text every time. Prepared, a connection parses a text
// once and afterwards sends one Bind/Execute message per run, pipelined. On a page's path that is
// most of its round trips (`npm run bench`, bench/README.md "Load").
//
// A connection keeps each text it has prepared until it is closed: postgres.js replaces its
// connections after 30 to 60 minutes (`max_lifetime`), which bounds what a text that varies (an
// `in (…)` list) can pile up. A statement whose plan a migration invalidates is planned again
// by the server; postgres.js retries one whose result columns changed.
import type postgres from 'postgres';

type AnySql = postgres.Sql | postgres.TransactionSql;

/** `sql` with every `unsafe` query prepared, in its transactions and savepoints too. */
export function preparingStatements<S extends AnySql>(sql: S): S {
  return new Proxy(sql, {
    get(target, key, receiver) {
      if (key === 'unsafe') {
        const unsafe: AnySql['unsafe'] = (text, parameters, options) =>
          target.unsafe(text, parameters, { ...options, prepare: true });
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
