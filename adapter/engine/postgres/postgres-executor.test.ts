import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresServer, startPostgres } from '../../../test/helpers/postgres-server.js';
import { describeExecutorContract } from '../executor-contract.js';
import { numberedPlaceholders } from './placeholders.js';
import { openPostgresExecutor } from './postgres-executor.js';

let server: PostgresServer;
let databases = 0;

beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

describeExecutorContract('postgresql (a real server)', async () => {
  const name = `contract_${++databases}`;
  await server.createDatabase(name);
  const executor = await openPostgresExecutor(server.urlFor(name));
  return {
    executor,
    other: () => openPostgresExecutor(server.urlFor(name)),
    slowQuery: 'SELECT pg_sleep(60)',
    close: () => executor.close(),
  };
});

describe('the PostgreSQL executor', () => {
  it('returns int8 and numeric values as numbers', async () => {
    const executor = await openPostgresExecutor(server.url);
    try {
      expect(
        await executor.query('SELECT count(*) AS n, 1.5::numeric AS x, 9007199254740991::int8 AS big'),
      ).toEqual([{ n: 1, x: 1.5, big: 9007199254740991 }]);
    } finally {
      await executor.close();
    }
  });

  it('cancels a statement of a role that has no connection left, and stays usable', async () => {
    // A role allowed one connection: a second session (pg_cancel_backend) would be refused, as on a full server.
    const admin = await openPostgresExecutor(server.url);
    await admin.execute("CREATE ROLE solo LOGIN PASSWORD 'solo-pw' CONNECTION LIMIT 1");
    await admin.close();
    const solo = await openPostgresExecutor(
      server.url.replace(`bambuzled:${server.password}@`, 'solo:solo-pw@'),
    );
    const running = solo.transaction(async (tx) => tx.query('SELECT pg_sleep(600)'));
    await waitFor(async () => (await sleepingSessions()) === 1);
    await solo.cancel();
    await expect(running).rejects.toMatchObject({ kind: 'cancelled' });
    expect(await sleepingSessions()).toBe(0);
    expect(await solo.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    await solo.close();
  });

  it('names the server and database, never the password, when the password is wrong', async () => {
    const error = await openPostgresExecutor(server.url.replace(server.password, 'wrong-secret')).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ kind: 'cannot-open' });
    const message = (error as Error).message;
    expect(message).toContain(`"bambuzled" on 127.0.0.1:${server.port}`);
    expect(message).toContain('refused the user or its password');
    expect(message).not.toContain('wrong-secret');
    expect(message).not.toContain(server.password);
  });

  it('says when the database does not exist, and when no server answers', async () => {
    const missing = await openPostgresExecutor(server.urlFor('no_such_db')).catch((e: unknown) => e);
    expect((missing as Error).message).toContain('the server has no such database');
    const nobody = await openPostgresExecutor(`postgres://u:secret@127.0.0.1:1/db`).catch((e: unknown) => e);
    expect(nobody).toMatchObject({ kind: 'cannot-open' });
    expect((nobody as Error).message).toContain('Cannot reach the PostgreSQL database "db" on 127.0.0.1:1');
    expect((nobody as Error).message).not.toContain('secret');
  });
});

/** Sessions of the role `solo` that are in pg_sleep now, seen from another connection. */
async function sleepingSessions(): Promise<number> {
  const admin = await openPostgresExecutor(server.url);
  try {
    const [row] = await admin.query(
      "SELECT count(*) AS n FROM pg_stat_activity WHERE usename = 'solo' AND query LIKE '%pg_sleep%' AND state = 'active'",
    );
    return Number(row?.n);
  } finally {
    await admin.close();
  }
}

async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('numberedPlaceholders', () => {
  it('numbers the placeholders outside strings, quoted names and comments', () => {
    expect(numberedPlaceholders(`SELECT ?, '?', "a?b", ? -- why?\n, ? /* ? */`)).toBe(
      `SELECT $1, '?', "a?b", $2 -- why?\n, $3 /* ? */`,
    );
    expect(numberedPlaceholders("SELECT 'it''s ?', ?")).toBe("SELECT 'it''s ?', $1");
  });
});
