/**
 * What every executor shares: one thing at a time on the connection (a transaction in progress is
 * never entered from elsewhere), and transactions as scopes: BEGIN at the outside (sent with the
 * transaction's first statement), savepoints inside, commit when the work resolves (or with a last
 * batch that ends it), roll back when it rejects. An engine supplies its statements and
 * how it begins; SQLite also says when a cancel has already ended the transaction.
 */
import {
  type AsyncExecutor,
  type BatchOptions,
  type BatchResult,
  type BatchStatement,
  EngineError,
  type Row,
  type Statements,
  type TableInfo,
} from './executor.js';
import { SerialGate } from './serial-gate.js';

/** Statements without transactions: what an engine implements. */
export type PlainStatements = Omit<Statements, 'transaction'>;

export abstract class GatedExecutor implements AsyncExecutor {
  abstract readonly engine: string;
  abstract readonly location: string;
  private readonly gate = new SerialGate();
  /** Whether a transaction is open (a cancel between two statements must still end it). */
  protected inTransaction = false;

  /** The engine's statements, run without waiting for the gate (inside a turn that holds it). */
  protected abstract readonly plain: PlainStatements;
  /** The statement that opens a transaction. */
  protected abstract readonly beginSql: string;
  abstract cancel(): Promise<void>;
  abstract close(): Promise<void>;

  /** A token for the transaction being begun; `ended(token)` says whether a cancel ended it since. */
  protected openToken(): unknown {
    return undefined;
  }

  protected ended(_token: unknown): boolean {
    return false;
  }

  execute(sql: string, params?: readonly unknown[]): Promise<{ changes: number }> {
    return this.gate.run(() => this.plain.execute(sql, params));
  }

  query(sql: string, params?: readonly unknown[]): Promise<Row[]> {
    return this.gate.run(() => this.plain.query(sql, params));
  }

  queryColumns(sql: string): Promise<string[]> {
    return this.gate.run(() => this.plain.queryColumns(sql));
  }

  describe(name: string): Promise<TableInfo | undefined> {
    return this.gate.run(() => this.plain.describe(name));
  }

  batch(statements: readonly BatchStatement[], options?: BatchOptions): Promise<BatchResult[]> {
    return this.gate.run(() => this.plain.batch(statements, options));
  }

  transaction<T>(work: (tx: Statements) => Promise<T>): Promise<T> {
    return this.gate.run(() => this.scoped(work, 0, false, this.openToken()));
  }

  rolledBack<T>(work: (tx: Statements) => Promise<T>): Promise<T> {
    return this.gate.run(() => this.scoped(work, 0, true, this.openToken()));
  }

  /** A transaction at `depth` 0, or a savepoint inside one; `token` is the outer transaction's. */
  private async scoped<T>(
    work: (tx: Statements) => Promise<T>,
    depth: number,
    rollBack: boolean,
    token: unknown,
    outer?: Opening,
  ): Promise<T> {
    const savepoint = `bambuzled_${depth}`;
    // The outermost BEGIN goes out with the transaction's first statement, and its COMMIT with a last
    // batch that says it ends the transaction: one request each instead of a round trip of their own,
    // and none of them while the write lock is held (the listener waits on that lock).
    const opening = outer ?? new Opening();
    if (depth > 0) await this.plain.execute(`SAVEPOINT ${savepoint}`);
    else this.inTransaction = true;
    const tx = this.statementsOf(opening, depth === 0 && !rollBack, (inner) =>
      this.scoped(inner, depth + 1, false, token, opening),
    );
    const end = async (commit: boolean) => {
      // A cancel that killed the connection took the transaction with it: nothing is left to end.
      if (this.ended(token)) return;
      if (depth === 0) {
        // Nothing was sent (nothing to end), or the last batch committed already.
        if (!opening.begun || opening.committed) return;
        await this.plain.execute(commit ? 'COMMIT' : 'ROLLBACK');
      } else
        await this.plain.execute(
          commit
            ? `RELEASE SAVEPOINT ${savepoint}`
            : `ROLLBACK TO SAVEPOINT ${savepoint}; RELEASE SAVEPOINT ${savepoint}`,
        );
    };
    try {
      const value = await work(tx);
      await end(!rollBack);
      return value;
    } catch (error) {
      await end(false).catch(() => undefined);
      throw error;
    } finally {
      if (depth === 0) this.inTransaction = false;
    }
  }

  /** The statements of a transaction whose BEGIN may not have been sent yet (`opening` says). */
  private statementsOf(opening: Opening, mayCommit: boolean, nested: Statements['transaction']): Statements {
    const plain = this.plain;
    const open = async () => {
      opening.check();
      if (opening.begun) return;
      await plain.execute(this.beginSql);
      opening.begun = true;
    };
    /** One statement, sent with the BEGIN when that is still to go. */
    const single = async (statement: BatchStatement): Promise<BatchResult> => {
      opening.check();
      if (opening.begun) {
        return statement.read
          ? { rows: await plain.query(statement.sql, statement.params), changes: 0 }
          : { rows: [], changes: (await plain.execute(statement.sql, statement.params)).changes };
      }
      const [result] = await this.batchInTransaction(opening, [statement], false);
      return result ?? { rows: [], changes: 0 };
    };
    return {
      execute: async (sql, params) => ({
        changes: (await single(params === undefined ? { sql } : { sql, params })).changes,
      }),
      query: async (sql, params) => (await single({ sql, params: params ?? [], read: true })).rows,
      queryColumns: async (sql) => {
        await open();
        return plain.queryColumns(sql);
      },
      describe: async (name) => {
        await open();
        return plain.describe(name);
      },
      batch: (statements, options) =>
        this.batchInTransaction(opening, statements, mayCommit && options?.endsTransaction === true, options),
      transaction: async (inner) => {
        await open();
        return nested(inner);
      },
    };
  }

  /**
   * A batch inside a transaction: the BEGIN first when it has not been sent, the COMMIT last when
   * `commit`. What comes back, results and a failure's batchIndex, is the caller's statements' alone;
   * a failure of the BEGIN or the COMMIT names that statement and no place in the batch.
   */
  private async batchInTransaction(
    opening: Opening,
    statements: readonly BatchStatement[],
    commit: boolean,
    options?: BatchOptions,
  ): Promise<BatchResult[]> {
    opening.check();
    // Aborted already: the engine refuses the batch before its first statement, as it would alone.
    if (options?.signal?.aborted) return this.plain.batch(statements, options);
    const begin = !opening.begun;
    const sent = [
      ...(begin ? [{ sql: this.beginSql }] : []),
      ...statements,
      ...(commit ? [{ sql: 'COMMIT' }] : []),
    ];
    const first = begin ? 1 : 0;
    try {
      const results = await this.plain.batch(sent, options);
      opening.begun = true;
      if (commit) opening.committed = true;
      return results.slice(first, first + statements.length);
    } catch (error) {
      if (!(error instanceof EngineError) || error.batchIndex === undefined) throw error;
      const at = error.batchIndex - first;
      if (at >= 0) opening.begun = true; // the BEGIN ran: the caller's failure rolls it back
      if (at >= 0 && at < statements.length) {
        throw new EngineError(error.kind, error.message, {
          cause: error.cause,
          ...(error.sql === undefined ? {} : { sql: error.sql }),
          batchIndex: at,
        });
      }
      throw new EngineError(error.kind, error.message, {
        cause: error.cause,
        ...(error.sql === undefined ? {} : { sql: error.sql }),
      });
    }
  }
}

/** Where a transaction stands: its BEGIN sent yet, its COMMIT sent with a last batch. */
class Opening {
  begun = false;
  committed = false;

  /** Nothing runs on a transaction after the batch that committed it. */
  check(): void {
    if (this.committed) {
      throw new EngineError(
        'closed',
        'The transaction was committed with its last batch; nothing more can run in it.',
      );
    }
  }
}

/**
 * A batch as one statement after another, for an engine whose requests cost no more one at a time
 * (PostgreSQL's client pipelines nothing across awaits anyway): the failure names its place.
 */
export async function batchInTurn(
  plain: Omit<PlainStatements, 'batch'>,
  statements: readonly BatchStatement[],
  options: BatchOptions = {},
): Promise<BatchResult[]> {
  const results: BatchResult[] = [];
  for (const [index, statement] of statements.entries()) {
    if (options.signal?.aborted) {
      throw new EngineError('cancelled', 'The batch was cancelled before its next statement.', {
        sql: statement.sql,
        batchIndex: index,
      });
    }
    try {
      results.push(
        statement.read
          ? { rows: await plain.query(statement.sql, statement.params), changes: 0 }
          : { rows: [], changes: (await plain.execute(statement.sql, statement.params)).changes },
      );
    } catch (error) {
      if (!(error instanceof EngineError)) throw error;
      throw new EngineError(error.kind, error.message, {
        cause: error.cause,
        sql: error.sql ?? statement.sql,
        batchIndex: index,
      });
    }
  }
  return results;
}
