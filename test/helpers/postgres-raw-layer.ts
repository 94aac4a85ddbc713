/**
 * The raw layer on PostgreSQL, for tests of the project on both engines: the listener's own migration
 * (ingestion/raw-schema-postgres.ts) creates it, and copyRawLayer fills it with a SQLite raw layer's rows.
 */
import pg from 'pg';
import type { AsyncExecutor } from '../../adapter/index.js';
import { migratePostgresRawSchema } from '../../ingestion/index.js';
import type { SqliteDatabase } from '../../lib/index.js';

export const RAW_TABLES = [
  'printers_raw',
  'jobs_raw',
  'job_events_raw',
  'job_files_raw',
  'job_filaments_raw',
];

/** Creates the raw tables in schema main of the database at `url`, as the listener does when it starts. */
export async function createPostgresRawLayer(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await migratePostgresRawSchema(client);
  } finally {
    await client.end();
  }
}

/**
 * Makes the PostgreSQL raw layer hold exactly the SQLite raw layer's rows (ids and change sequences
 * included), as if the listener had written both: replaced in one transaction.
 */
export async function copyRawLayer(from: SqliteDatabase, pg: AsyncExecutor): Promise<void> {
  await pg.transaction(async (tx) => {
    for (const table of RAW_TABLES) {
      await tx.execute(`DELETE FROM main.${table}`);
      const rows = from.prepare(`SELECT * FROM ${table}`).all() as Record<string, unknown>[];
      for (const row of rows) {
        const columns = Object.keys(row);
        await tx.execute(
          `INSERT INTO main.${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
          columns.map((c) => row[c]),
        );
      }
    }
  });
}
