import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeDir } from '../../__fixtures__/sample-project.js';
import { describeExecutorContract } from '../executor-contract.js';
import { openSqliteExecutor } from './sqlite-executor.js';

describeExecutorContract('sqlite (a WAL file, in a worker thread)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bambuzled-executor-'));
  const path = join(dir, 'contract.db');
  const executor = await openSqliteExecutor(path);
  return {
    executor,
    other: () => openSqliteExecutor(path),
    slowQuery: 'WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c) SELECT count(*) FROM c',
    close: async () => {
      await executor.close();
      removeDir(dir);
    },
  };
});

describe('opening a SQLite database', () => {
  const inTempDir = async (test: (dir: string) => Promise<void>) => {
    const dir = mkdtempSync(join(tmpdir(), 'bambuzled-open-'));
    try {
      await test(dir);
    } finally {
      chmodSync(dir, 0o755);
      removeDir(dir);
    }
  };

  it("opens a file in WAL mode, committing without waiting for the disk (a run's results are redone, never corrupt)", async () => {
    await inTempDir(async (dir) => {
      const executor = await openSqliteExecutor(join(dir, 'runs.db'));
      try {
        expect(await executor.query('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
        // 1 = NORMAL: in WAL mode a commit is durable once a checkpoint or the next fsync runs.
        expect(await executor.query('PRAGMA synchronous')).toEqual([{ synchronous: 1 }]);
      } finally {
        await executor.close();
      }
    });
  });

  it('says that a file which is not a database is not one, naming it', async () => {
    await inTempDir(async (dir) => {
      const path = join(dir, 'notes.db');
      writeFileSync(path, 'these are my notes, not a database\n'.repeat(200));
      await expect(openSqliteExecutor(path)).rejects.toMatchObject({
        kind: 'corrupt',
        message: expect.stringContaining(`${path} is not a SQLite database`),
      });
    });
  });

  it('says that a truncated database is damaged', async () => {
    await inTempDir(async (dir) => {
      const path = join(dir, 'cut.db');
      const whole = await openSqliteExecutor(path);
      await whole.execute(
        'CREATE TABLE t (v TEXT); INSERT INTO t SELECT hex(randomblob(500)) FROM (WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c LIMIT 500) SELECT i FROM c)',
      );
      await whole.execute('PRAGMA wal_checkpoint(TRUNCATE)');
      await whole.close();
      const { readFileSync } = await import('node:fs');
      writeFileSync(path, readFileSync(path).subarray(0, 2000));
      const opened = await openSqliteExecutor(path).catch((error: unknown) => error);
      const failure =
        opened instanceof Error
          ? opened
          : await (opened as Awaited<ReturnType<typeof openSqliteExecutor>>)
              .query('SELECT count(*) FROM t')
              .catch((e: unknown) => e);
      expect(failure).toMatchObject({ kind: 'corrupt', message: expect.stringContaining(path) });
    });
  });

  it('cannot create a database where no folder can be made, and names the path', async () => {
    await inTempDir(async (dir) => {
      // A plain file where the database's folder should be (the read-only folder case runs as another
      // user, in test/run-lifecycle.test.ts: root ignores permission bits).
      const blocker = join(dir, 'not-a-folder');
      writeFileSync(blocker, 'a file');
      await expect(openSqliteExecutor(join(blocker, 'new.db'))).rejects.toMatchObject({
        kind: 'cannot-open',
        message: expect.stringContaining(join(blocker, 'new.db')),
      });
    });
  });
});

describe('a SQLite transaction beside another writer', () => {
  it("says that its BEGIN waited too long for the other's write lock, naming no statement of the batch it went with", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bambuzled-begin-'));
    const path = join(dir, 'busy.db');
    const holder = await openSqliteExecutor(path);
    const waiter = await openSqliteExecutor(path, { busyTimeoutMs: 50 });
    try {
      await holder.execute('CREATE TABLE t (id INTEGER)');
      let release: () => void = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let locked: () => void = () => {};
      const lockTaken = new Promise<void>((resolve) => {
        locked = resolve;
      });
      const holding = holder.transaction(async (tx) => {
        await tx.execute('INSERT INTO t VALUES (1)');
        locked();
        await held;
      });
      await lockTaken;
      const error = await waiter
        .transaction((tx) => tx.batch([{ sql: 'INSERT INTO t VALUES (2)' }], { endsTransaction: true }))
        .catch((e: unknown) => e);
      release();
      await holding;
      expect(error).toMatchObject({ kind: 'busy', sql: 'BEGIN IMMEDIATE' });
      expect((error as { batchIndex?: number }).batchIndex).toBeUndefined();
      expect(await waiter.query('SELECT id FROM t')).toEqual([{ id: 1 }]);
    } finally {
      await waiter.close();
      await holder.close();
      removeDir(dir);
    }
  });
});
