import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * What ships (the files `npm run build` compiles into dist/, what `bin/bambuzled.js` loads, the npm
 * package and the Docker image) holds no test kit, no fixture and no benchmark: those build apart into
 * dist-bench/ (tsconfig.bench.json) for `npm run bench`.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** A path that belongs to the tests or the benchmarks, never to the shipped build. */
const NOT_SHIPPED: { rule: string; test: (path: string) => boolean }[] = [
  { rule: 'under test/ or bench/', test: (path) => /^(test|bench|dist-bench)\//.test(path) },
  { rule: 'a test file', test: (path) => /\.test\.[cm]?[jt]s$/.test(path) },
  { rule: 'a fixture', test: (path) => /(^|\/)(__fixtures__|fixtures)\//.test(path) },
  { rule: 'a test kit', test: (path) => /(-test-kit|-harness|sandbox|-contract)\.[cm]?[jt]s$/.test(path) },
];

function reasonsAgainst(path: string): string[] {
  return NOT_SHIPPED.filter((entry) => entry.test(path)).map((entry) => `${path} is ${entry.rule}`);
}

/** Every source file the build compiles (the include globs and all they import), relative to the root. */
function buildProgram(): ts.Program {
  const configPath = join(root, 'tsconfig.build.json');
  const config = ts.getParsedCommandLineOfConfigFile(
    configPath,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
      },
    },
  );
  if (!config) throw new Error('tsconfig.build.json could not be read');
  return ts.createProgram({ rootNames: config.fileNames, options: { ...config.options, noEmit: true } });
}

const program = buildProgram();
const shipped = program
  .getSourceFiles()
  .map((file) => relative(root, file.fileName).split(sep).join('/'))
  .filter((path) => !path.startsWith('node_modules/') && !path.startsWith('..'));

/** The string literals of a source file (import specifiers, paths it reads), comments left out. */
function stringsOf(file: ts.SourceFile): string[] {
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteralLike(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node)) {
      found.push(node.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

function packageOf(specifier: string): string | null {
  if (specifier.startsWith('.') || specifier.startsWith('node:') || specifier.startsWith('/')) return null;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? null);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'));
}

describe('the shipped build', () => {
  it('compiles the stages and no test kit, fixture or benchmark', () => {
    expect(shipped).toContain('cli/main.ts');
    expect(shipped).toContain('simulator/farm-host.ts');
    expect(shipped.flatMap(reasonsAgainst)).toEqual([]);
  });

  it('knows a test kit, a fixture and a benchmark when it sees one', () => {
    // The rules above must be able to fail: each of these would be refused.
    for (const path of [
      'test/helpers/raw-test-kit.ts',
      'bench/scheduler.bench.ts',
      'ingestion/tracker-harness.ts',
      'test/fixtures/bambu/p1p_pushall_failed_lan.json',
      'adapter/__fixtures__/project/definitions/a.sqlx',
      'adapter/engine/executor-contract.ts',
    ]) {
      expect(reasonsAgainst(path), path).not.toEqual([]);
    }
  });

  it('imports no devDependency and reads no fixture file', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
    };
    const devOnly = new Set(Object.keys(pkg.devDependencies));
    const problems: string[] = [];
    for (const file of program.getSourceFiles()) {
      const path = relative(root, file.fileName).split(sep).join('/');
      if (path.startsWith('node_modules/') || path.startsWith('..')) continue;
      for (const { fileName: specifier } of ts.preProcessFile(file.text, true, true).importedFiles) {
        const name = packageOf(specifier);
        if (name !== null && devOnly.has(name)) {
          problems.push(`${path} imports ${name}, a devDependency the package does not install`);
        }
      }
      for (const text of stringsOf(file)) {
        if (/(^|\/)fixtures\//.test(text)) problems.push(`${path} names a fixture: ${text}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('leaves nothing else in dist/: every compiled file has its source in the build', () => {
    // `npm test` builds first; the build empties dist/, so a file that left the build cannot linger.
    const dist = join(root, 'dist');
    expect(existsSync(join(dist, 'cli', 'main.js')), 'dist/ is not built: run `npm run build`').toBe(true);
    const sources = new Set(shipped.map((path) => path.replace(/\.(ts|mjs|js)$/, '')));
    const strays = filesUnder(dist).filter((path) => {
      if (/^[^/]+\/assets\//.test(path)) return false; // the pages' bundles and static files
      return !sources.has(path.replace(/\.(js|mjs)(\.map)?$/, ''));
    });
    expect(strays).toEqual([]);
    expect(filesUnder(dist).flatMap(reasonsAgainst)).toEqual([]);
  });

  it('packs into the npm package only what runs: bin, dist and the project', () => {
    const packed = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(packed.status, packed.stderr).toBe(0);
    const [manifest] = JSON.parse(packed.stdout) as { files: { path: string }[] }[];
    const paths = (manifest?.files ?? []).map((file) => file.path);
    expect(paths).toContain('bin/bambuzled.js');
    expect(paths).toContain('dist/cli/main.js');
    expect(paths).toContain('workflow_settings.yaml');
    const outside = paths.filter(
      (path) =>
        !/^(bin|dist|definitions|includes)\//.test(path) &&
        ![
          'package.json',
          'README.md',
          'CHANGELOG.md',
          'LICENSE',
          'workflow_settings.yaml',
          'ingestion/config.example.json',
        ].includes(path),
    );
    expect(outside).toEqual([]);
    expect(paths.flatMap(reasonsAgainst)).toEqual([]);
  });

  it('builds the Docker image from the stages alone, without the tests or the benchmarks', () => {
    const copies = readFileSync(join(root, 'Dockerfile'), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('COPY '));
    expect(copies.some((line) => / (adapter|ingestion|scheduler) /.test(line))).toBe(true);
    expect(copies.filter((line) => /^COPY (\S+\/)?(test|bench)\b/.test(line))).toEqual([]);
  });
});
