import { describe, expect, it } from 'vitest';
import { readableCompilationErrors } from './readable-errors.js';
import type { CompilationError, CompiledGraph } from './types.js';

// What the stock compiler (@dataform/core 3.0.62) reports for two missing refs and a cycle.
const graph: CompiledGraph = {
  projectConfig: { defaultDatabase: 'p', defaultSchema: 'main' },
  tables: ['a', 'b', 'orphan', 'other_orphan'].map((name) => ({
    target: { database: 'p', schema: 'main', name },
  })),
};
const compilerErrors: CompilationError[] = [
  { fileName: 'index.js', message: 'Could not resolve "gone"' },
  { fileName: 'index.js', message: 'Could not resolve {"schema":"other","name":"gone2"}' },
  { fileName: 'index.js', message: 'Could not resolve "gone"' },
  {
    fileName: 'definitions/orphan.sqlx',
    actionName: 'p.main.orphan',
    message:
      'Missing dependency detected: Action "p.main.orphan" depends on "{"name":"gone","includeDependentAssertions":false}" which does not exist',
  },
  {
    fileName: 'definitions/orphan.sqlx',
    actionName: 'p.main.orphan',
    message:
      'Missing dependency detected: Action "p.main.orphan" depends on "{"schema":"other","name":"gone2","includeDependentAssertions":false}" which does not exist',
  },
  {
    fileName: 'definitions/other_orphan.sqlx',
    actionName: 'p.main.other_orphan',
    message:
      'Missing dependency detected: Action "p.main.other_orphan" depends on "{"name":"gone"}" which does not exist',
  },
  {
    fileName: 'definitions/a.sqlx',
    actionName: 'p.main.a',
    message:
      'Circular dependency detected in chain: [{"database":"p","name":"a","schema":"main"} > {"database":"p","name":"b","schema":"main"} > p.main.a]',
  },
];

describe('readableCompilationErrors', () => {
  const readable = readableCompilationErrors(compilerErrors, graph);

  it('shows a missing dependency as schema.name, keeping the compiler wording in detail', () => {
    expect(readable[3]).toEqual({
      fileName: 'definitions/orphan.sqlx',
      actionName: 'p.main.orphan',
      message: 'Missing dependency detected: Action "main.orphan" depends on "gone" which does not exist',
      detail: compilerErrors[3]?.message,
    });
    expect(readable[4]?.message).toBe(
      'Missing dependency detected: Action "main.orphan" depends on "other.gone2" which does not exist',
    );
  });

  it('files each unresolved ref under the definitions file that made it, in order', () => {
    expect(readable.slice(0, 3)).toEqual([
      {
        fileName: 'definitions/orphan.sqlx',
        actionName: 'p.main.orphan',
        message: 'Could not resolve "gone"',
      },
      {
        fileName: 'definitions/orphan.sqlx',
        actionName: 'p.main.orphan',
        message: 'Could not resolve "other.gone2"',
        detail: compilerErrors[1]?.message,
      },
      {
        fileName: 'definitions/other_orphan.sqlx',
        actionName: 'p.main.other_orphan',
        message: 'Could not resolve "gone"',
      },
    ]);
  });

  it('drops the compiler entry point as a file name when no action can be told', () => {
    const [alone] = readableCompilationErrors([{ fileName: 'index.js', message: 'Could not resolve "x"' }]);
    expect(alone).toEqual({ message: 'Could not resolve "x"' });
  });

  it('shows every target of a cycle the same way', () => {
    expect(readable[6]?.message).toBe('Circular dependency detected in chain: [main.a > main.b > main.a]');
    expect(readable[6]?.fileName).toBe('definitions/a.sqlx');
  });

  it('leaves a message without targets as it is', () => {
    const plain: CompilationError = { fileName: 'definitions/bad.sqlx', message: 'Unexpected token {' };
    expect(readableCompilationErrors([plain], graph)).toEqual([plain]);
  });
});
