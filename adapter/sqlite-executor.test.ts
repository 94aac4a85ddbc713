import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../lib/sqlite.js';
import { removeDir } from './__fixtures__/sample-project.js';
import { describeSqlExecutorContract } from './sql-executor-contract.js';
import { sqliteExecutor } from './sqlite-executor.js';

describeSqlExecutorContract('sqlite (WAL file)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bambuzled-executor-'));
  const db = openDatabase(join(dir, 'contract.db'));
  return {
    executor: sqliteExecutor(db),
    close: () => {
      db.close();
      removeDir(dir);
    },
  };
});

describe('sqliteExecutor', () => {
  it('holds the write lock for a whole transaction, so another writer cannot slip in between its read and its write', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bambuzled-executor-'));
    const db = openDatabase(join(dir, 'lock.db'));
    const other = openDatabase(join(dir, 'lock.db'), { busyTimeoutMs: 0 });
    try {
      const executor = sqliteExecutor(db);
      executor.execute('CREATE TABLE t (id INTEGER)');
      executor.transaction(() => {
        expect(executor.tableInfo('t')?.type).toBe('table');
        expect(() => other.exec('INSERT INTO t VALUES (99)')).toThrow(/locked|busy/i);
        executor.execute('INSERT INTO t VALUES (1)');
      });
      other.exec('INSERT INTO t VALUES (2)');
      expect(executor.query('SELECT id FROM t ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }]);
    } finally {
      other.close();
      db.close();
      removeDir(dir);
    }
  });
});
