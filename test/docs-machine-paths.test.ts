import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompiledGraph } from '../adapter/index.js';
import { type DocsCatalog, type DocsSiteData, generateDocsSite, serveDocs } from '../docs-site/index.js';
import { recordingLogger } from '../lib/logger.js';
import {
  compileFixture,
  FIXTURE_FILES,
  fillFixtureDatabase,
  readOnlyConnection,
  writeFixtureProject,
} from './docs-fixture.js';

let root: string;
let projectDir: string;
let dbPath: string;
let graph: CompiledGraph;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'docs-paths-'));
  projectDir = join(root, 'farm-project');
  dbPath = join(root, 'data', 'print_history.db');
  writeFixtureProject(projectDir);
  graph = await compileFixture(projectDir);
  await fillFixtureDatabase(dbPath, graph, 3);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Every file under `dir`, read as text. */
function readTree(dir: string): { path: string; text: string }[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const path = join(entry.parentPath, entry.name);
      return { path, text: readFileSync(path, 'utf8') };
    });
}

describe('the docs pages name the project and the database, never a folder of the machine', () => {
  it('writes no absolute path into the generated site; the catalog names the database by its file name', async () => {
    const outDir = join(root, 'site');
    const db = await readOnlyConnection(dbPath);
    try {
      const result = await generateDocsSite({ projectDir, outDir, db, dbPath });
      expect(result.ok).toBe(true);
    } finally {
      await db.close();
    }
    const files = readTree(outDir);
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) expect(file.text.includes(root), file.path).toBe(false);
    const data = JSON.parse(readFileSync(join(outDir, 'docs-data.json'), 'utf8')) as DocsSiteData;
    expect(data.catalog.status).toBe('ready');
    expect(data.catalog.dbPath).toBe('print_history.db');
  });

  it('serves no absolute path: the page, its data, the live catalog, an unreadable database and compile errors', async () => {
    const notes = join(root, 'notes.db');
    writeFileSync(notes, 'these are my notes, not a database\n'.repeat(200));
    const broken = join(root, 'broken-project');
    writeFixtureProject(broken, {
      ...FIXTURE_FILES,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: SQLX text, not a JavaScript template
      'definitions/silver/broken.sqlx': 'config { type: "table" }\nSELECT * FROM ${ref("no_such_table")}\n',
    });
    const cases = [
      { projectDir, dbPath, expectDb: 'print_history.db', status: 'ready' },
      { projectDir, dbPath: notes, expectDb: 'notes.db', status: 'error' },
      {
        projectDir: broken,
        dbPath: join(root, 'none-yet.db'),
        expectDb: 'none-yet.db',
        status: 'no-database',
      },
    ];
    for (const item of cases) {
      const server = await serveDocs({
        projectDir: item.projectDir,
        dbPath: item.dbPath,
        port: 0,
        logger: recordingLogger(),
      });
      try {
        for (const path of ['/', '/app.js', '/docs-data.json', '/docs-data.js', '/api/catalog']) {
          const text = await (await fetch(new URL(path, server.url))).text();
          expect(text.includes(root), `${item.dbPath} ${path}`).toBe(false);
        }
        const catalog = (await (await fetch(new URL('/api/catalog', server.url))).json()) as DocsCatalog;
        expect(catalog.status).toBe(item.status);
        expect(catalog.dbPath).toBe(item.expectDb);
        if (item.status !== 'ready') expect(catalog.message).toContain(item.expectDb);
        if (item.projectDir === broken) {
          const data = (await (await fetch(new URL('/docs-data.json', server.url))).json()) as DocsSiteData;
          expect(data.model.compilationErrors.map((e) => e.message).join('\n')).toMatch(/no_such_table/);
        }
      } finally {
        await server.close();
      }
    }
  });
});
