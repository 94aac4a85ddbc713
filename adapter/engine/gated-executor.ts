/**
 * What every executor shares: one thing at a time on the connection (a transaction in progress is
 * never entered from elsewhere), and transactions as scopes: BEGIN at the outside, savepoints inside,
 * commit when the work resolves, roll back when it rejects. An engine supplies its statements and
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
  ): Promise<T> {
    const savepoint = `bambuzled_${depth}`;
    await this.plain.execute(depth === 0 ? this.beginSql : `SAVEPOINT ${savepoint}`);
    if (depth === 0) this.inTransaction = true;
    const tx: Statements = {
      ...this.plain,
      transaction: (inner) => this.scoped(inner, depth + 1, false, token),
    };
    const end = async (commit: boolean) => {
      // A cancel that killed the connection took the transaction with it: nothing is left to end.
      if (this.ended(token)) return;
      if (depth === 0) await this.plain.execute(commit ? 'COMMIT' : 'ROLLBACK');
      else
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
