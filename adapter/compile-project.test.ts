import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeDir, writeProject } from './__fixtures__/sample-project.js';
import { compileCacheKey } from './compile-project.js';
import { COMPILE_CACHE_DIR, compileProject } from './index.js';

const ownCoreVersion = (
  JSON.parse(readFileSync(createRequire(import.meta.url).resolve('@dataform/core/package.json'), 'utf8')) as {
    version: string;
  }
).version;

const dirs: string[] = [];
const project = (files: Record<string, string>) => {
  const dir = writeProject(files);
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) removeDir(dir);
});

describe('compileProject', () => {
  // One project serves the cache cases: each stock compile takes over a second.
  const dir = project({
    // A pinned core version makes the stock CLI install from the registry; the adapter compiles offline.
    'workflow_settings.yaml':
      'dataformCoreVersion: 3.0.0\ndefaultProject: p\ndefaultDataset: main\nvars:\n  min_amount: "10"\n',
    'definitions/source.sqlx': 'config { type: "declaration", name: "src" }\n',
    'definitions/js.js': `
publish("big", { type: "table", tags: ["gold"] }).query((ctx) => \`SELECT * FROM \${ctx.ref("src")} WHERE amount > \${dataform.projectConfig.vars.min_amount}\`);
assert("big_is_positive").query((ctx) => \`SELECT * FROM \${ctx.ref("big")} WHERE amount <= 0\`);
operate("vacuum", () => ["VACUUM"]);
`,
    'includes/constants.js': 'module.exports = { a: 1 };\n',
  });

  it('compiles a project without its own node_modules, JS definitions included, and caches the graph', async () => {
    const first = await compileProject({ projectDir: dir });
    if (!first.ok) throw new Error(first.message);
    expect(first.fromCache).toBe(false);
    expect(first.graph.tables?.map((t) => t.target.name)).toEqual(['big']);
    expect(first.graph.tables?.[0]?.query).toContain('amount > 10');
    expect(first.graph.assertions?.map((a) => a.target.name)).toEqual(['big_is_positive']);
    expect(first.graph.operations?.[0]?.queries).toEqual(['VACUUM']);
    expect(readdirSync(join(dir, COMPILE_CACHE_DIR))).toHaveLength(1);
    expect(existsSync(join(dir, 'node_modules'))).toBe(false);
    expect(first.note).toBe(
      `Compiled with bambuzled's @dataform/core ${ownCoreVersion} (workflow_settings.yaml pins dataformCoreVersion 3.0.0, which the stock CLI would install from the registry).`,
    );

    const second = await compileProject({ projectDir: dir });
    expect(second).toMatchObject({ ok: true, fromCache: true, note: first.note });
    if (second.ok) expect(second.graph).toEqual(first.graph);
  });

  it('passes vars to the compiler and caches each set of vars apart', async () => {
    const withVars = await compileProject({ projectDir: dir, vars: { min_amount: '500' } });
    if (!withVars.ok) throw new Error(withVars.message);
    expect(withVars.fromCache).toBe(false);
    expect(withVars.graph.tables?.[0]?.query).toContain('amount > 500');
  });

  it('keys the cache on vars and on every file the compile reads', async () => {
    const hashOf = async (vars?: Record<string, string>) => {
      const key = await compileCacheKey(dir, vars);
      if (!key.ok) throw new Error(key.message);
      return key.hash;
    };
    const before = await hashOf();
    expect(await hashOf()).toBe(before);
    expect(await hashOf({ x: '1' })).not.toBe(before);
    writeFileSync(join(dir, 'includes/constants.js'), 'module.exports = { a: 2 };\n');
    const edited = await hashOf();
    expect(edited).not.toBe(before);
    writeFileSync(join(dir, 'definitions/new.sqlx'), 'config { type: "view" }\nSELECT 1 AS one\n');
    const added = await hashOf();
    expect(added).not.toBe(edited);
    writeFileSync(join(dir, 'notes.txt'), 'not read by the compiler\n');
    expect(await hashOf()).toBe(added);
  });

  it('reports a missing ref, a cycle and a syntax error, each naming its file', async () => {
    const broken = project({
      'workflow_settings.yaml': 'defaultProject: p\ndefaultDataset: main\n',
      'definitions/bad.sqlx': 'config { type: "table" \nSELECT 1\n',
      'definitions/orphan.sqlx': `config { type: "table" }\nSELECT * FROM \${ref("nowhere")}\n`,
      'definitions/a.sqlx': `config { type: "view" }\nSELECT * FROM \${ref("b")}\n`,
      'definitions/b.sqlx': `config { type: "view" }\nSELECT * FROM \${ref("a")}\n`,
    });
    const outcome = await compileProject({ projectDir: broken });
    if (outcome.ok) throw new Error('expected compilation errors');
    expect(outcome.errors).toContainEqual(
      expect.objectContaining({
        fileName: 'definitions/orphan.sqlx',
        message: expect.stringMatching(/nowhere/),
      }),
    );
    expect(outcome.errors).toContainEqual(
      expect.objectContaining({
        fileName: 'definitions/a.sqlx',
        message: expect.stringMatching(/Circular dependency/),
      }),
    );
    expect(outcome.errors).toContainEqual(
      expect.objectContaining({
        fileName: 'definitions/bad.sqlx',
        message: expect.stringMatching(/Unexpected/),
      }),
    );
    expect(outcome.message).not.toContain('bambuzled-compile-');
    // Targets read as schema.name, and a missing ref is filed under the file that made it.
    expect(outcome.errors).toContainEqual(
      expect.objectContaining({
        fileName: 'definitions/orphan.sqlx',
        message: 'Could not resolve "nowhere"',
      }),
    );
    expect(outcome.errors).toContainEqual(
      expect.objectContaining({
        fileName: 'definitions/orphan.sqlx',
        message:
          'Missing dependency detected: Action "main.orphan" depends on "nowhere" which does not exist',
        detail: expect.stringContaining('{"name":"nowhere"'),
      }),
    );
    expect(outcome.errors.map((e) => e.message)).toContainEqual(
      expect.stringMatching(
        /^Circular dependency detected in chain: \[main\.(a|b) > main\.(a|b) > main\.(a|b)\]$/,
      ),
    );
    expect(outcome.errors.map((e) => e.fileName)).not.toContain('index.js');
    expect(outcome.message).not.toMatch(/\{"/);
  });

  it('says so when the folder is not a Dataform project, without throwing', async () => {
    const empty = project({ 'README.md': 'nothing here\n' });
    const outcome = await compileProject({ projectDir: empty });
    expect(outcome).toMatchObject({ ok: false, message: expect.stringContaining('workflow_settings.yaml') });
  });
});
