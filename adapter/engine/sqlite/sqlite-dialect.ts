/**
 * SQLite's dialect: one file holds every schema (a view cannot reference another attached database),
 * no MERGE (upserts on a UNIQUE index), no CREATE OR REPLACE (build beside, then swap), rowids to find
 * what a merge inserted. The SQL itself is written in build-tasks.ts and assertion-scope.ts.
 */
import { qualifiedStage, scopedParentSubquery, stageTableOf } from '../../assertion-scope.js';
import {
  assertionViewSql,
  buildTasks,
  incrementalSourceQuery,
  writesIncrementally,
} from '../../build-tasks.js';
import { quoteIdentifier, refRewriterFor, sqliteNameOf } from '../../names.js';
import type { Dialect } from '../dialect.js';

export const sqliteDialect: Dialect = {
  name: 'sqlite',
  engineVar: 'sqlite',
  autoIncrementKey: 'INTEGER PRIMARY KEY AUTOINCREMENT',
  listObjectsSql: `SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name`,
  objectName: sqliteNameOf,
  quote: quoteIdentifier,
  refRewriter: refRewriterFor,
  writesIncrementally,
  incrementalSourceQuery,
  buildTasks,
  assertionViewSql,
  scopedParent: scopedParentSubquery,
  stageOf: stageTableOf,
  dropStage: (stage) => `DROP TABLE IF EXISTS ${qualifiedStage(stage)}`,
  refusesTransaction: (sql) => {
    const verb = /^\s*(VACUUM|ATTACH|DETACH)\b/i.exec(sql)?.[1]?.toUpperCase();
    return verb ? `SQLite cannot ${verb} inside a transaction` : undefined;
  },
  // SQLite's storage classes, in the upper case of declared types.
  valueTypeSql: (objectName, column) =>
    `SELECT upper(typeof(${quoteIdentifier(column)})) FROM ${quoteIdentifier(objectName)} WHERE ${quoteIdentifier(column)} IS NOT NULL LIMIT 1`,
};
