import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompiledGraph } from '../adapter/index.js';
import { type DocsSiteData, generateDocsSite } from '../docs-site/index.js';
import {
  compileFixture,
  FIXTURE_FILES,
  FIXTURE_MODELS,
  fillFixtureDatabase,
  readOnlyConnection,
  writeFixtureProject,
} from './docs-fixture.js';

let root: string;
let projectDir: string;
let graph: CompiledGraph;

const readData = (outDir: string): DocsSiteData =>
  JSON.parse(readFileSync(join(outDir, 'docs-data.json'), 'utf8')) as DocsSiteData;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'docs-generate-'));
  projectDir = join(root, 'project');
  writeFixtureProject(projectDir);
  graph = await compileFixture(projectDir);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('generateDocsSite', () => {
  it('writes the page, its assets and a data file with every action of the compiled graph', async () => {
    const outDir = join(root, 'site-plain');
    const result = await generateDocsSite({ projectDir, outDir });
    expect(result.ok).toBe(true);
    for (const file of [
      'index.html',
      'app.js',
      'style.css',
      'docs-data.json',
      'docs-data.js',
      'vendor/highlight.js',
    ]) {
      expect(existsSync(join(outDir, file)), file).toBe(true);
    }
    const data = readData(outDir);
    const ids = data.model.actions.map((a) => a.id);
    expect(ids).toEqual(expect.arrayContaining([...FIXTURE_MODELS, 'assertions.jobs_have_names']));
    const graphCount =
      (graph.tables?.length ?? 0) + (graph.assertions?.length ?? 0) + (graph.declarations?.length ?? 0);
    expect(ids).toHaveLength(graphCount);
  });

  it('links the lineage both ways, from jobs_raw through bronze to gold, with assertions on their parent', async () => {
    const outDir = join(root, 'site-lineage');
    await generateDocsSite({ projectDir, outDir });
    const byId = new Map(readData(outDir).model.actions.map((a) => [a.id, a]));
    expect(byId.get('main.jobs_raw')?.downstream).toEqual(['main.jobs_brz']);
    expect(byId.get('main.jobs_brz')?.upstream).toEqual(['main.jobs_raw']);
    expect(byId.get('main.printer_summary_gld')?.upstream).toEqual(['main.printer_jobs_slv']);
    expect(byId.get('main.jobs_brz')?.assertions).toEqual(
      expect.arrayContaining([
        'assertions.jobs_have_names',
        'assertions.main_jobs_brz_assertions_uniqueKey_0',
      ]),
    );
    expect(byId.get('main.jobs_brz')?.downstream).not.toContain('assertions.jobs_have_names');
    expect(
      ['main.jobs_raw', 'main.jobs_brz', 'main.printer_jobs_slv', 'main.printer_summary_gld'].map(
        (id) => byId.get(id)?.layer,
      ),
    ).toEqual(['source', 'bronze', 'silver', 'gold']);
    expect(byId.get('assertions.jobs_have_names')?.layer).toBe('assertion');
  });

  it('lays out every node with elkjs, each edge running left to right', async () => {
    const outDir = join(root, 'site-layout');
    await generateDocsSite({ projectDir, outDir });
    const { model, layout } = readData(outDir);
    for (const action of model.actions) expect(layout.nodes[action.id], action.id).toBeDefined();
    expect(layout.edges).toHaveLength(model.edges.length);
    for (const edge of layout.edges) {
      const from = layout.nodes[edge.from]!;
      const to = layout.nodes[edge.to]!;
      expect(from.x + from.width, `${edge.from} -> ${edge.to}`).toBeLessThanOrEqual(to.x);
      expect(edge.points.length).toBeGreaterThanOrEqual(2);
    }
  });

  it('lays out a compact graph for the first view: no assertion nodes, room on each checked node for its badge', async () => {
    const outDir = join(root, 'site-compact');
    await generateDocsSite({ projectDir, outDir });
    const { model, layout, compactLayout } = readData(outDir);
    const models = model.actions.filter((a) => a.kind !== 'assertion').map((a) => a.id);
    expect(Object.keys(compactLayout.nodes).sort()).toEqual(models.sort());
    const assertionIds = new Set(model.actions.filter((a) => a.kind === 'assertion').map((a) => a.id));
    expect(compactLayout.edges.filter((e) => assertionIds.has(e.to) || assertionIds.has(e.from))).toEqual([]);
    expect(compactLayout.edges.length).toBe(model.edges.length - assertionIds.size);
    const brz = 'main.jobs_brz';
    expect(compactLayout.nodes[brz]!.width).toBeGreaterThan(layout.nodes[brz]!.width);
    expect(compactLayout.nodes['main.jobs_raw']!.width).toBe(layout.nodes['main.jobs_raw']!.width);
    expect(compactLayout.width).toBeLessThan(layout.width);
  });

  it('shows the compiled SQL with refs rewritten to the SQLite names the adapter uses', async () => {
    const outDir = join(root, 'site-sql');
    await generateDocsSite({ projectDir, outDir });
    const brz = readData(outDir).model.actions.find((a) => a.id === 'main.jobs_brz');
    expect(brz?.sql).toContain('FROM "jobs_raw"');
    expect(brz?.sql).not.toContain('`');
  });

  it('says the catalog is empty, and how to fill it, when generated without a database', async () => {
    const outDir = join(root, 'site-no-db');
    const result = await generateDocsSite({ projectDir, outDir });
    expect(result.ok && result.catalogStatus).toBe('no-database');
    const { catalog } = readData(outDir);
    expect(catalog.entries).toEqual({});
    expect(catalog.message).toMatch(/catalog is empty/);
    expect(catalog.message).toMatch(/--db/);
  });

  it('reads column types, row counts and the last run of each action from a real SQLite file', async () => {
    const dbPath = join(root, 'filled.db');
    const run = await fillFixtureDatabase(dbPath, graph, 5);
    expect(run.status).toBe('SUCCESSFUL');
    const db = await readOnlyConnection(dbPath);
    const outDir = join(root, 'site-db');
    try {
      const result = await generateDocsSite({ projectDir, outDir, db, dbPath });
      expect(result.ok && result.catalogStatus).toBe('ready');
    } finally {
      await db.close();
    }
    const { catalog } = readData(outDir);
    const brz = catalog.entries['main.jobs_brz'];
    expect(brz?.exists).toBe(true);
    expect(brz?.objectType).toBe('table');
    expect(brz?.rowCount).toBe(5);
    expect(brz?.columns.map((c) => c.name)).toContain('duration_s');
    expect(catalog.entries['main.printer_jobs_slv']?.objectType).toBe('view');
    expect(catalog.entries['main.jobs_raw']?.columns.find((c) => c.name === 'job_key')?.type).toBe('TEXT');
    expect(catalog.results['main.jobs_brz']?.status).toBe('SUCCESSFUL');
    expect(catalog.results['assertions.jobs_have_names']?.status).toBe('SUCCESSFUL');
  });

  it('returns compilation errors as data instead of throwing', async () => {
    const broken = join(root, 'broken');
    writeFixtureProject(broken, {
      ...FIXTURE_FILES,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: SQLX text, not a JavaScript template
      'definitions/silver/broken.sqlx': 'config { type: "table" }\nSELECT * FROM ${ref("no_such_table")}\n',
    });
    const result = await generateDocsSite({ projectDir: broken, outDir: join(root, 'site-broken') });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(/no_such_table/);
    expect(existsSync(join(root, 'site-broken', 'index.html'))).toBe(false);
  });

  it('ships every asset itself: no address outside the site in the page, the script or the styles', async () => {
    const outDir = join(root, 'site-offline');
    await generateDocsSite({ projectDir, outDir });
    const html = readFileSync(join(outDir, 'index.html'), 'utf8');
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(3);
    for (const ref of refs) expect(ref, ref).not.toMatch(/^(https?:)?\/\//);
    const css = readFileSync(join(outDir, 'style.css'), 'utf8');
    expect(css).not.toMatch(/@import|url\(/);
    const scripts = [...html.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts).toContain('app.js');
    const urls = scripts
      .filter((src) => !src.startsWith('vendor/'))
      .flatMap((src) => readFileSync(join(outDir, src), 'utf8').match(/https?:\/\/[^'"\s]+/g) ?? []);
    expect(urls).toEqual(['http://www.w3.org/2000/svg']);
  });
});
