// The database: what other folders import.
export { notify, openDatabase, rowsOf, type Database, type DatabaseConfig, type Db, type DbExecutor, type DbTransaction } from './client.js';
export { anyOf } from './any-of.js';
export { errorCodesOf, onlyFoundTransactionAborted } from './error-codes.js';
export { insertRows, writeRows, type InsertRowsOptions } from './insert-rows.js';
export { DataDirInUseError } from './lock-file.js';
export { databaseConfigFromEnv } from './from-env.js';
export { migrateDatabase, migrationsFolder } from './migrate.js';
export * as tables from './schema.js';
