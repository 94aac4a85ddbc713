/**
 * The one contract every AsyncExecutor meets, written once and run against each engine:
 * `describeExecutorContract('sqlite', open)` from a *.test.ts file. `open` gives a fresh, empty
 * database and a second connection to the same one (to watch what others see).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AsyncExecutor } from './executor.js';

export interface ExecutorFixture {
  executor: AsyncExecutor;
  /** Another connection to the same database. */
  other(): Promise<AsyncExecutor>;
  /** A statement that runs until it is cancelled (seconds at least). */
  slowQuery: string;
  close(): Promise<void>;
}

export function describeExecutorContract(name: string, open: () => Promise<ExecutorFixture>): void {
  describe(`executor contract: ${name}`, () => {
    let fixture: ExecutorFixture | undefined;
    const executor = async () => {
      fixture = await open();
      return fixture.executor;
    };
    afterEach(async () => {
      await fixture?.close();
      fixture = undefined;
    });

    it('runs several statements at once and counts the rows they changed', async () => {
      const x = await executor();
      expect((await x.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)')).changes).toBe(0);
      expect(
        (await x.execute("INSERT INTO t VALUES (1, 'a'), (2, 'b'); UPDATE t SET v = 'c' WHERE id = 1"))
          .changes,
      ).toBe(3);
      expect((await x.execute('INSERT INTO t VALUES (?, ?)', [3, 'd'])).changes).toBe(1);
    });

    it('returns rows with bound parameters', async () => {
      const x = await executor();
      await x.execute("CREATE TABLE t (id INTEGER, v TEXT); INSERT INTO t VALUES (1, 'a'), (2, 'b')");
      expect(await x.query('SELECT v FROM t WHERE id = ?', [2])).toEqual([{ v: 'b' }]);
    });

    it('runs a batch in order and returns what each statement read or changed', async () => {
      const x = await executor();
      const results = await x.batch([
        { sql: 'CREATE TABLE t (id INTEGER, v TEXT)' },
        { sql: "INSERT INTO t VALUES (1, 'a'), (2, 'b'); UPDATE t SET v = 'c' WHERE id = 1" },
        { sql: 'INSERT INTO t VALUES (?, ?)', params: [3, 'd'] },
        { sql: 'SELECT v FROM t WHERE id >= ? ORDER BY id', params: [2], read: true },
        { sql: 'SELECT count(*) AS n FROM t', read: true },
      ]);
      expect(results).toEqual([
        { rows: [], changes: 0 },
        { rows: [], changes: 3 },
        { rows: [], changes: 1 },
        { rows: [{ v: 'b' }, { v: 'd' }], changes: 0 },
        { rows: [{ n: 3 }], changes: 0 },
      ]);
    });

    it('stops a batch at the statement that fails, naming it and its place, and runs none after it', async () => {
      const x = await executor();
      await x.execute('CREATE TABLE t (id INTEGER)');
      const error = await x
        .transaction((tx) =>
          tx.batch([
            { sql: 'INSERT INTO t VALUES (1)' },
            { sql: 'SELECT * FROM no_such_table', read: true },
            { sql: 'INSERT INTO t VALUES (2)' },
          ]),
        )
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ kind: 'sql', sql: 'SELECT * FROM no_such_table', batchIndex: 1 });
      // The transaction was rolled back: the first insert is gone, and the third never ran.
      expect(await x.query('SELECT count(*) AS n FROM t')).toEqual([{ n: 0 }]);
      const outside = await x
        .batch([{ sql: 'INSERT INTO t VALUES (1)' }, { sql: 'INSERT INTO nothing VALUES (2)' }])
        .catch((e: unknown) => e);
      expect(outside).toMatchObject({ kind: 'sql', batchIndex: 1 });
      expect(await x.query('SELECT id FROM t')).toEqual([{ id: 1 }]);
    });

    it('runs nothing of a batch whose signal was aborted before its turn', async () => {
      const x = await executor();
      await x.execute('CREATE TABLE t (id INTEGER)');
      const aborted = new AbortController();
      aborted.abort();
      const error = await x
        .batch([{ sql: 'INSERT INTO t VALUES (1)' }], { signal: aborted.signal })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ kind: 'cancelled', batchIndex: 0 });
      expect(await x.query('SELECT count(*) AS n FROM t')).toEqual([{ n: 0 }]);
    });

    it('names the columns of a query without running it, and rejects a query that cannot run', async () => {
      const x = await executor();
      await x.execute('CREATE TABLE t (id INTEGER)');
      expect(await x.queryColumns('SELECT id, id + 1 AS next FROM t')).toEqual(['id', 'next']);
      await expect(x.queryColumns('SELECT missing FROM t')).rejects.toThrow(/missing/);
    });

    it('describes tables and views, their unique indexes, and nothing for a missing name', async () => {
      const x = await executor();
      await x.execute(
        'CREATE TABLE t (id INTEGER, at TEXT); CREATE VIEW v AS SELECT id FROM t; CREATE UNIQUE INDEX t_id ON t (id); CREATE INDEX t_at ON t (at)',
      );
      const table = await x.describe('t');
      expect(table?.type).toBe('table');
      expect(table?.columns.map((c) => c.name)).toEqual(['id', 'at']);
      expect(table?.columns[0]?.type.toUpperCase()).toMatch(/INT/);
      expect(table?.uniqueIndexes).toEqual([{ name: 't_id', columns: ['id'] }]);
      expect((await x.describe('v'))?.type).toBe('view');
      expect((await x.describe('v'))?.columns.map((c) => c.name)).toEqual(['id']);
      expect(await x.describe('nothing')).toBeUndefined();
    });

    it('commits a transaction whose work resolves and rolls back one whose work rejects', async () => {
      const x = await executor();
      await x.execute('CREATE TABLE t (id INTEGER)');
      await expect(
        x.transaction(async (tx) => {
          await tx.execute('INSERT INTO t VALUES (1)');
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await x.transaction(async (tx) => (await tx.execute('INSERT INTO t VALUES (2)')).changes)).toBe(
        1,
      );
      expect(await x.query('SELECT id FROM t')).toEqual([{ id: 2 }]);
    });

    it('rolls back only the inner part of a nested transaction that rejects', async () => {
      const x = await executor();
      await x.execute('CREATE TABLE t (id INTEGER)');
      await x.transaction(async (tx) => {
        await tx.execute('INSERT INTO t VALUES (1)');
        await expect(
          tx.transaction(async (inner) => {
            await inner.execute('INSERT INTO t VALUES (2)');
            throw new Error('inner');
          }),
        ).rejects.toThrow('inner');
      });
      expect(await x.query('SELECT id FROM t')).toEqual([{ id: 1 }]);
    });

    it('keeps statements from elsewhere out of a transaction in progress', async () => {
      const x = await executor();
      await x.execute('CREATE TABLE t (id INTEGER)');
      let release: () => void = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      const transaction = x.transaction(async (tx) => {
        await tx.execute('INSERT INTO t VALUES (1)');
        await held;
        throw new Error('undo');
      });
      // Issued while the transaction is open, on the outer executor: it must run after the rollback.
      const outside = x.execute('INSERT INTO t VALUES (2)');
      release();
      await expect(transaction).rejects.toThrow('undo');
      await outside;
      expect(await x.query('SELECT id FROM t')).toEqual([{ id: 2 }]);
    });

    it('holds the write lock for the whole transaction, so another connection sees nothing until the commit', async () => {
      const x = await executor();
      await x.execute('CREATE TABLE t (id INTEGER)');
      const other = await fixture!.other();
      await x.transaction(async (tx) => {
        await tx.execute('INSERT INTO t VALUES (1)');
        expect(await other.query('SELECT count(*) AS n FROM t')).toEqual([{ n: 0 }]);
      });
      expect(await other.query('SELECT count(*) AS n FROM t')).toEqual([{ n: 1 }]);
      await other.close();
    });

    it('commits with a last batch that ends the transaction, and runs nothing in it after that', async () => {
      const x = await executor();
      await x.execute('CREATE TABLE t (id INTEGER)');
      const other = await fixture!.other();
      const after = await x.transaction(async (tx) => {
        await tx.execute('INSERT INTO t VALUES (1)');
        const [inserted] = await tx.batch([{ sql: 'INSERT INTO t VALUES (2)' }], { endsTransaction: true });
        expect(inserted).toEqual({ rows: [], changes: 1 });
        // Committed before the work returns: another connection sees both rows now.
        expect(await other.query('SELECT count(*) AS n FROM t')).toEqual([{ n: 2 }]);
        return tx.execute('INSERT INTO t VALUES (3)').catch((e: unknown) => e);
      });
      expect(after).toMatchObject({ kind: 'closed' });
      expect(await x.query('SELECT id FROM t ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }]);
      await other.close();
    });

    it('rolls the whole transaction back when its last batch fails, and names the statement by its place', async () => {
      const x = await executor();
      await x.execute('CREATE TABLE t (id INTEGER)');
      const error = await x
        .transaction(async (tx) => {
          await tx.execute('INSERT INTO t VALUES (1)');
          await tx.batch([{ sql: 'INSERT INTO t VALUES (2)' }, { sql: 'INSERT INTO nothing VALUES (3)' }], {
            endsTransaction: true,
          });
        })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ kind: 'sql', sql: 'INSERT INTO nothing VALUES (3)', batchIndex: 1 });
      expect(await x.query('SELECT count(*) AS n FROM t')).toEqual([{ n: 0 }]);
    });

    it('leaves a last batch uncommitted in a rolled-back block and in a nested transaction', async () => {
      const x = await executor();
      await x.execute('CREATE TABLE t (id INTEGER)');
      await x.rolledBack((tx) => tx.batch([{ sql: 'INSERT INTO t VALUES (1)' }], { endsTransaction: true }));
      await expect(
        x.transaction(async (tx) => {
          await tx.transaction((inner) =>
            inner.batch([{ sql: 'INSERT INTO t VALUES (2)' }], { endsTransaction: true }),
          );
          throw new Error('undo the outer one');
        }),
      ).rejects.toThrow('undo the outer one');
      expect(await x.query('SELECT count(*) AS n FROM t')).toEqual([{ n: 0 }]);
    });

    it('undoes everything, schema included, after a rolled-back block and returns its value', async () => {
      const x = await executor();
      await x.execute('CREATE TABLE t (id INTEGER)');
      const seen = await x.rolledBack(async (tx) => {
        await tx.transaction((inner) =>
          inner.execute('INSERT INTO t VALUES (1); CREATE TABLE u (id INTEGER)'),
        );
        return tx.query('SELECT count(*) AS n FROM t');
      });
      expect(seen).toEqual([{ n: 1 }]);
      expect(await x.query('SELECT count(*) AS n FROM t')).toEqual([{ n: 0 }]);
      expect(await x.describe('u')).toBeUndefined();
    });

    it('cancels a statement in flight, rolls its transaction back, and stays usable', async () => {
      const x = await executor();
      await x.execute('CREATE TABLE t (id INTEGER)');
      const running = x.transaction(async (tx) => {
        await tx.execute('INSERT INTO t VALUES (1)');
        return tx.query(fixture!.slowQuery);
      });
      // Cancel once the slow query is on its way (the insert has been answered).
      await new Promise((resolve) => setTimeout(resolve, 200));
      await x.cancel();
      await expect(running).rejects.toMatchObject({ kind: 'cancelled' });
      expect(await x.query('SELECT count(*) AS n FROM t')).toEqual([{ n: 0 }]);
      await x.execute('INSERT INTO t VALUES (2)');
      expect(await x.query('SELECT id FROM t')).toEqual([{ id: 2 }]);
    });

    it('classifies a failing statement as an SQL error that carries the statement', async () => {
      const x = await executor();
      const error = await x.execute('SELECT * FROM no_such_table').catch((e: unknown) => e);
      expect(error).toMatchObject({ kind: 'sql', sql: 'SELECT * FROM no_such_table' });
      expect(String((error as Error).message)).toMatch(/no_such_table/);
    });
  });
}
