/**
 * The one contract every SqlExecutor must meet, written once and run against each implementation
 * (only SQLite so far): `describeSqlExecutorContract('sqlite', factory)` from a *.test.ts file.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SqlExecutor } from './sql-executor.js';

export interface ExecutorFixture {
  executor: SqlExecutor;
  close(): void;
}

export function describeSqlExecutorContract(name: string, open: () => ExecutorFixture): void {
  describe(`SqlExecutor contract: ${name}`, () => {
    let fixture: ExecutorFixture | undefined;
    const executor = () => {
      fixture = open();
      return fixture.executor;
    };
    afterEach(() => {
      fixture?.close();
      fixture = undefined;
    });

    it('runs several statements at once and counts the rows they changed', () => {
      const x = executor();
      expect(x.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)').changes).toBe(0);
      expect(
        x.execute("INSERT INTO t VALUES (1, 'a'), (2, 'b'); UPDATE t SET v = 'c' WHERE id = 1").changes,
      ).toBe(3);
      expect(x.execute('CREATE VIEW v AS SELECT * FROM t').changes).toBe(0);
    });

    it('returns rows with bound parameters', () => {
      const x = executor();
      x.execute("CREATE TABLE t (id INTEGER, v TEXT); INSERT INTO t VALUES (1, 'a'), (2, 'b')");
      expect(x.query('SELECT v FROM t WHERE id = ?', [2])).toEqual([{ v: 'b' }]);
    });

    it('names the columns of a query without running it', () => {
      const x = executor();
      x.execute('CREATE TABLE t (id INTEGER)');
      expect(x.queryColumns('SELECT id, id + 1 AS next FROM t')).toEqual(['id', 'next']);
      expect(() => x.queryColumns('SELECT missing FROM t')).toThrow(/missing/);
    });

    it('describes tables and views with their declared column types, and nothing for a missing name', () => {
      const x = executor();
      x.execute('CREATE TABLE t (id INTEGER, at TEXT); CREATE VIEW v AS SELECT id FROM t');
      expect(x.tableInfo('t')).toEqual({
        type: 'table',
        columns: [
          { name: 'id', type: 'INTEGER' },
          { name: 'at', type: 'TEXT' },
        ],
        uniqueIndexes: [],
      });
      expect(x.tableInfo('v')?.type).toBe('view');
      expect(x.tableInfo('v')?.columns.map((c) => c.name)).toEqual(['id']);
      expect(x.tableInfo('nothing')).toBeUndefined();
    });

    it('lists the unique indexes of a table with their columns, and not the plain ones', () => {
      const x = executor();
      x.execute(
        'CREATE TABLE t (a INTEGER, b TEXT, c TEXT); CREATE UNIQUE INDEX t_ab ON t (a, b); CREATE INDEX t_c ON t (c)',
      );
      expect(x.tableInfo('t')?.uniqueIndexes).toEqual([{ name: 't_ab', columns: ['a', 'b'] }]);
    });

    it('rolls back a transaction that throws, and keeps one that returns', () => {
      const x = executor();
      x.execute('CREATE TABLE t (id INTEGER)');
      expect(() =>
        x.transaction(() => {
          x.execute('INSERT INTO t VALUES (1)');
          throw new Error('boom');
        }),
      ).toThrow('boom');
      expect(x.transaction(() => x.execute('INSERT INTO t VALUES (2)').changes)).toBe(1);
      expect(x.query('SELECT id FROM t')).toEqual([{ id: 2 }]);
    });

    it('rolls back only the inner part of a nested transaction that throws', () => {
      const x = executor();
      x.execute('CREATE TABLE t (id INTEGER)');
      x.transaction(() => {
        x.execute('INSERT INTO t VALUES (1)');
        expect(() =>
          x.transaction(() => {
            x.execute('INSERT INTO t VALUES (2)');
            throw new Error('inner');
          }),
        ).toThrow('inner');
      });
      expect(x.query('SELECT id FROM t')).toEqual([{ id: 1 }]);
    });

    it('undoes everything, schema included, after a rolled-back block and returns its value', () => {
      const x = executor();
      x.execute('CREATE TABLE t (id INTEGER)');
      const seen = x.rolledBack(() => {
        x.transaction(() => x.execute('INSERT INTO t VALUES (1); CREATE TABLE u (id INTEGER)'));
        return x.query('SELECT count(*) AS n FROM t');
      });
      expect(seen).toEqual([{ n: 1 }]);
      expect(x.query('SELECT count(*) AS n FROM t')).toEqual([{ n: 0 }]);
      expect(x.tableInfo('u')).toBeUndefined();
    });
  });
}
