// postgres.js as drizzle's driver, with two of its round trips taken off every page.
//
// Prepared statements. drizzle hands postgres.js every query as `unsafe(text, params,
// { prepare: false })` unless it was built with `.prepare(name)`. Unprepared, postgres.js first
// has the server describe the statement, to learn its parameters' types, and waits for that
// answer before it sends the query itself: two round trips per query, and none of the
// connection's queries can be pipelined behind it. The server also parses and plans the text
// every time. Prepared, a connection parses a text once and afterwards sends one message per
// run, pipelined. A connection keeps each text it has prepared until it is closed, and
// postgres.js replaces its connections after 30 to 60 minutes (`max_lifetime`); the hot
// statements have one text whatever their number of rows (`insertRows`, `anyOf`). A statement
// whose plan a migration invalidates is planned again by the server.
//
// BEGIN sent with the transaction's first statement. postgres.js's `begin` waits for BEGIN's
// answer before it runs the transaction's work: a round trip of its own for every transaction.
// Here a transaction reserves a connection, queues BEGIN on it without waiting, and its first
// statement follows in the same write. BEGIN (no options but an isolation level) fails only
// with its connection, and then so does every statement queued behind it; a failure anywhere
// ends the transaction in ROLLBACK and is thrown, as postgres.js's `begin` would.
//
// `npm run bench` measures both (bench/README.md, "Load").
import type postgres from 'postgres';

type AnySql = postgres.Sql | postgres.TransactionSql | postgres.ReservedSql;
type TransactionCallback = (tx: postgres.TransactionSql) => unknown;

/** `sql` for drizzle: every query prepared, every transaction's BEGIN pipelined. */
export function forDrizzle(sql: postgres.Sql): postgres.Sql {
  return new Proxy(sql, {
    get(target, key, receiver) {
      if (key === 'unsafe') return preparedUnsafe(target);
      if (key === 'begin') {
        // (fn) or (options, fn), as postgres.js takes them.
        return (...args: unknown[]) => {
          const fn = args.pop() as TransactionCallback;
          return transaction(target, typeof args[0] === 'string' ? args[0] : '', fn);
        };
      }
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
}

function preparedUnsafe(target: AnySql): AnySql['unsafe'] {
  return (text, parameters, options) => target.unsafe(text, parameters, { ...options, prepare: true });
}

async function transaction(pool: postgres.Sql, options: string, fn: TransactionCallback): Promise<unknown> {
  const connection = await pool.reserve();
  try {
    const begun = connection.unsafe(`begin ${options.replace(/[^a-z ]/gi, '')}`).execute();
    // Awaited below; until then a failure here must not count as unhandled.
    begun.catch(() => {});
    let result: unknown;
    try {
      result = await inScope(connection, fn);
      await begun;
    } catch (e) {
      await connection.unsafe('rollback').catch(() => {});
      throw e;
    }
    await connection.unsafe('commit');
    return result;
  } finally {
    connection.release();
  }
}

/** Runs `fn` with a handle on the reserved connection, whose savepoints nest inside the transaction. */
async function inScope(connection: postgres.ReservedSql, fn: TransactionCallback): Promise<unknown> {
  let savepoints = 0;
  const tx: postgres.TransactionSql = new Proxy(connection, {
    get(target, key, receiver) {
      if (key === 'unsafe') return preparedUnsafe(target);
      if (key === 'savepoint') {
        // (fn) or (name, fn); drizzle names none.
        return async (...args: unknown[]) => {
          const inner = args.pop() as TransactionCallback;
          const name = `s${savepoints++}`;
          await target.unsafe(`savepoint ${name}`);
          try {
            const value = await inner(tx);
            await target.unsafe(`release savepoint ${name}`);
            return value;
          } catch (e) {
            await target.unsafe(`rollback to savepoint ${name}`);
            throw e;
          }
        };
      }
      return Reflect.get(target, key, receiver) as unknown;
    },
  }) as unknown as postgres.TransactionSql;
  return fn(tx);
}
