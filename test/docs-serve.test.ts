import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CompiledGraph } from '../adapter/index.js';
import { type DocsCatalog, type DocsServer, type DocsSiteData, serveDocs } from '../docs-site/index.js';
import { recordingLogger } from '../lib/logger.js';
import { compileFixture, FIXTURE_MODELS, fillFixtureDatabase, writeFixtureProject } from './docs-fixture.js';
import { launchChromium } from './helpers/browser.js';

let root: string;
let projectDir: string;
let dbPath: string;
let graph: CompiledGraph;
let server: DocsServer;
let browser: Browser;
const pageProblems: string[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'docs-serve-'));
  projectDir = join(root, 'project');
  dbPath = join(root, 'data', 'print_history.db');
  writeFixtureProject(projectDir);
  graph = await compileFixture(projectDir);
  server = await serveDocs({ projectDir, dbPath, port: 0, logger: recordingLogger() });
  browser = await launchChromium();
});

afterEach(() => {
  expect(pageProblems).toEqual([]);
  pageProblems.length = 0;
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

const getJson = async <T>(path: string): Promise<T> => {
  const res = await fetch(new URL(path, server.url));
  expect(res.status).toBe(200);
  return (await res.json()) as T;
};

async function openPage(hash = ''): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
  // Offline means offline: any request that leaves the docs server fails the test, as does a script error.
  page.on('request', (request) => {
    if (!request.url().startsWith(server.url)) pageProblems.push(`request to ${request.url()}`);
  });
  page.on('pageerror', (error) => pageProblems.push(`page error: ${error.message}`));
  await page.goto(`${server.url}${hash}`);
  await page.waitForSelector('body[data-ready="true"]');
  return page;
}

describe('bambuzled docs serve', () => {
  it('serves the graph and the docs before any database exists, with a note on how to fill the catalog', async () => {
    const page = await openPage();
    try {
      const ids = await page.$$eval('#nodes .node', (nodes) => nodes.map((n) => n.getAttribute('data-id')));
      expect(ids).toEqual(expect.arrayContaining(FIXTURE_MODELS));
      const banner = page.locator('#banner');
      await expect.poll(() => banner.isVisible()).toBe(true);
      const note = await banner.textContent();
      expect(note).toContain('The catalog is empty');
      expect(note).toContain('bambuzled run');
      expect(await banner.getAttribute('data-status')).toBe('no-database');
    } finally {
      await page.close();
    }
  });

  it('shows column types and row counts on reload once the database is created, without a restart', async () => {
    const page = await openPage();
    try {
      expect((await fillFixtureDatabase(dbPath, graph, 3)).status).toBe('SUCCESSFUL');
      await page.reload();
      await page.waitForSelector('body[data-ready="true"]');
      expect(await page.locator('#banner').isHidden()).toBe(true);

      // Every model of the project is a node of the lineage graph.
      for (const id of FIXTURE_MODELS) {
        expect(await page.locator(`#nodes .node[data-id="${id}"]`).count(), id).toBe(1);
      }
      // The overview lists every dataset with its row count.
      expect(
        await page.locator('#details table.datasets tr[data-id="main.jobs_brz"] .rows').textContent(),
      ).toBe('3');

      await page.locator('#nodes .node[data-id="main.jobs_brz"]').click();
      await page.waitForSelector('#details h2[data-id="main.jobs_brz"]');

      const columns = await page.$$eval('#details table.columns tbody tr', (rows) =>
        rows.map((row) => ({
          name: row.querySelector('.col-name')?.textContent,
          type: row.querySelector('.col-type')?.textContent,
          doc: row.querySelector('.col-doc')?.textContent,
        })),
      );
      // The types come from the SQLite file the run built, the descriptions from the SQLX config.
      const expectedTypes = await getJson<DocsCatalog>('api/catalog').then((c) =>
        Object.fromEntries(c.entries['main.jobs_brz']!.columns.map((col) => [col.name, col.type])),
      );
      expect(columns.map((c) => c.name)).toEqual(expect.arrayContaining(Object.keys(expectedTypes)));
      for (const column of columns.filter((c) => c.name! in expectedTypes)) {
        expect(column.type, column.name!).toBe(expectedTypes[column.name!] || 'untyped');
      }
      expect(columns.find((c) => c.name === 'job_id')?.doc).toContain('Unique job id');
      expect(columns.find((c) => c.name === 'ghost_column')?.doc).toContain('not in the table');
      expect(await page.locator('#details .row-count').textContent()).toBe('3');
      expect(await page.locator('#details .last-run').textContent()).toContain('SUCCESSFUL');
      expect(await page.locator('#details .assertions li').count()).toBeGreaterThanOrEqual(3);
      expect(await page.locator('#details pre.sql .hljs-keyword').count()).toBeGreaterThan(0);

      mkdirSync('test-output', { recursive: true });
      await page.screenshot({ path: 'test-output/docs-site.png' });

      // More jobs and another run: a reload shows the new count, still without a restart.
      await fillFixtureDatabase(dbPath, graph, 4, 100);
      await page.reload();
      await page.waitForSelector('#details h2[data-id="main.jobs_brz"]');
      expect(await page.locator('#details .row-count').textContent()).toBe('7');
    } finally {
      await page.close();
    }
  });

  it('finds an action by a column name and focuses the graph on it', async () => {
    const page = await openPage();
    try {
      await page.locator('#search').fill('serial number');
      const first = page.locator('#search-results li').first();
      expect(await first.getAttribute('data-id')).toBe('main.printer_jobs_slv');
      expect(await first.textContent()).toContain('column printer_serial');
      expect(await page.locator('#nodes .node.dim').count()).toBeGreaterThan(0);
      await page.locator('#search').press('Enter');
      await page.waitForSelector('#details h2[data-id="main.printer_jobs_slv"]');
      expect(await page.locator('#nodes .node.selected').getAttribute('data-id')).toBe(
        'main.printer_jobs_slv',
      );
      // Its lineage stays lit; with assertions drawn, an unrelated assertion is dimmed.
      expect(await page.locator('#nodes .node[data-id="main.jobs_raw"]').getAttribute('class')).not.toContain(
        'dim',
      );
      await page.locator('#show-assertions').check();
      const unrelated = page.locator('#nodes .node[data-id="assertions.jobs_have_names"]');
      await unrelated.waitFor();
      expect(await unrelated.getAttribute('class')).toContain('dim');
    } finally {
      await page.close();
    }
  });

  it('zooms with the wheel and pans with a drag', async () => {
    const page = await openPage();
    try {
      const transform = () => page.locator('#viewport').getAttribute('transform');
      const before = await transform();
      const box = (await page.locator('#graph').boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.wheel(0, -400);
      const zoomed = await transform();
      const scale = (t: string | null) => Number(/scale\(([^)]+)\)/.exec(t ?? '')?.[1]);
      expect(scale(zoomed)).toBeGreaterThan(scale(before));
      await page.mouse.move(box.x + 40, box.y + 40);
      await page.mouse.down();
      await page.mouse.move(box.x + 140, box.y + 90, { steps: 5 });
      await page.mouse.up();
      expect(await transform()).not.toBe(zoomed);
      expect(scale(await transform())).toBe(scale(zoomed));
    } finally {
      await page.close();
    }
  });

  it('recompiles when a definition changes, so a new model appears on reload', async () => {
    mkdirSync(join(projectDir, 'definitions', 'gold'), { recursive: true });
    writeFileSync(
      join(projectDir, 'definitions', 'gold', 'busiest_day_gld.sqlx'),
      'config { type: "view", tags: ["gold"], description: "The day with most jobs." }\n' +
        // biome-ignore lint/suspicious/noTemplateCurlyInString: SQLX text, not a JavaScript template
        'SELECT substr(started_at, 1, 10) AS day, count(*) AS jobs FROM ${ref("jobs_brz")} GROUP BY 1 ORDER BY 2 DESC LIMIT 1\n',
    );
    const data = await getJson<DocsSiteData>('docs-data.json');
    const added = data.model.actions.find((a) => a.id === 'main.busiest_day_gld');
    expect(added?.upstream).toEqual(['main.jobs_brz']);
    expect(data.layout.nodes['main.busiest_day_gld']).toBeDefined();
  });

  it('keeps serving the last graph that compiled, with the errors on top, while a definition is broken', async () => {
    const broken = join(projectDir, 'definitions', 'gold', 'broken_gld.sqlx');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: SQLX text, not a JavaScript template
    writeFileSync(broken, 'config { type: "table" }\nSELECT * FROM ${ref("no_such_model")}\n');
    try {
      const data = await getJson<DocsSiteData>('docs-data.json');
      expect(data.model.actions.map((a) => a.id)).toEqual(expect.arrayContaining(FIXTURE_MODELS));
      expect(data.model.compilationErrors.map((e) => e.message).join(' ')).toMatch(/no_such_model/);
      const page = await openPage();
      try {
        expect(await page.locator('#banner').textContent()).toContain('does not compile');
      } finally {
        await page.close();
      }
    } finally {
      rmSync(broken);
    }
    const fixed = await getJson<DocsSiteData>('docs-data.json');
    expect(fixed.model.compilationErrors).toEqual([]);
  });
});
