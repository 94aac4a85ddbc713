import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGraph } from '../adapter/index.js';
import { type DocsSiteData, generateDocsSite } from '../docs-site/index.js';
import { openDatabase } from '../lib/sqlite.js';
import { compileFixture, fillFixtureDatabase, writeFixtureProject } from './docs-fixture.js';
import { launchChromium, screenshotPath } from './helpers/browser.js';

/**
 * The QA walkthrough of `bambuzled docs serve` on the repository's own project (sources → bronze →
 * silver → gold, with more assertions than models), on a 1280x900 screen.
 */
let root: string;
let outDir: string;
let data: DocsSiteData;
let browser: Browser;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'docs-readability-'));
  const projectDir = process.cwd();
  const graph = await compileFixture(projectDir);
  const dbPath = join(root, 'history.db');
  fillFixtureDatabase(dbPath, graph, 4);
  const db = openDatabase(dbPath, { readonly: true });
  outDir = join(root, 'site');
  try {
    const result = await generateDocsSite({ projectDir, outDir, db, dbPath });
    if (!result.ok) throw new Error(result.message);
  } finally {
    db.close();
  }
  data = JSON.parse(readFileSync(join(outDir, 'docs-data.json'), 'utf8')) as DocsSiteData;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  rmSync(root, { recursive: true, force: true });
});

async function openSite(width = 1280): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  await page.goto(`file://${join(outDir, 'index.html')}`);
  await page.waitForSelector('body[data-ready="true"]');
  return page;
}

const zoomOf = async (page: Page): Promise<number> =>
  Number(/scale\(([^)]+)\)/.exec((await page.locator('#viewport').getAttribute('transform')) ?? '')?.[1]);

describe("the repository's project in the docs site at 1280x900", () => {
  const modelIds = () => data.model.actions.filter((a) => a.kind !== 'assertion').map((a) => a.id);

  // Since the filament models (issue 12: five sources, two silver models side by side, with names fixed by
  // DESIGN.md) the whole lineage at 11 px labels needs a 1440 px wide screen; at 1280 it is panned.
  it('shows every source and model with labels of at least 11 px and the whole lineage inside the pane at 1440x900', async () => {
    const page = await openSite(1440);
    try {
      await page.screenshot({ path: screenshotPath('docs-lineage-1440') });
      const drawn = await page.$$eval('#nodes .node', (nodes) => nodes.map((n) => n.getAttribute('data-id')));
      expect(drawn.sort()).toEqual(modelIds().sort());
      // Labels are 12 px at zoom 1.
      expect(12 * (await zoomOf(page))).toBeGreaterThanOrEqual(10.9);
      const pane = (await page.locator('#graph').boundingBox())!;
      const outside = await page.$$eval(
        '#nodes .node',
        (nodes, p) =>
          nodes
            .filter((n) => {
              const r = n.getBoundingClientRect();
              return r.left < p.x || r.top < p.y || r.right > p.x + p.width || r.bottom > p.y + p.height;
            })
            .map((n) => n.getAttribute('data-id')),
        pane,
      );
      expect(outside).toEqual([]);
    } finally {
      await page.close();
    }
  });

  // Every source of the repository's project is read since the models filter on the raw change sequence
  // (job_events_raw); the layout pins declarations to the first layer all the same (layout.ts).
  it('puts every source in the first column', () => {
    const sources = data.model.actions.filter((a) => a.layer === 'source');
    expect(sources.length).toBeGreaterThanOrEqual(5);
    const xs = (ids: string[]) => ids.map((id) => data.compactLayout.nodes[id]!);
    const sourceRight = Math.max(...xs(sources.map((s) => s.id)).map((b) => b.x + b.width));
    const others = xs(modelIds().filter((id) => !sources.some((s) => s.id === id)));
    expect(sourceRight).toBeLessThanOrEqual(Math.min(...others.map((b) => b.x)));
  });

  it('folds assertions into a badge on the node they check, counted and coloured by their last result', async () => {
    const page = await openSite();
    try {
      expect(await page.locator('#show-assertions').isChecked()).toBe(false);
      expect(await page.locator('#nodes .node.layer-assertion').count()).toBe(0);
      const checked = data.model.actions.filter((a) => a.kind !== 'assertion' && a.assertions.length);
      expect(checked.length).toBeGreaterThan(0);
      for (const action of checked) {
        const badge = page.locator(`#nodes .node[data-id="${action.id}"] .badge`);
        const statuses = action.assertions.map((id) => data.catalog.results[id]?.status);
        expect(await badge.getAttribute('data-assertions'), action.id).toBe(String(action.assertions.length));
        const failing = statuses.filter((s) => s === 'FAILED').length;
        const passing = statuses.filter((s) => s === 'SUCCESSFUL').length;
        const expected = failing ? 'badge-failed' : passing === statuses.length ? 'badge-ok' : 'badge-none';
        expect(await badge.getAttribute('class'), action.id).toContain(expected);
        const count = failing || action.assertions.length;
        expect(await badge.locator('text').textContent(), action.id).toMatch(new RegExp(`^\\D?${count}$`));
        expect(await badge.locator('title').textContent()).toMatch(/\d+ (of \d+ )?assertions?/);
      }
      // A node without assertions has no badge.
      const unchecked = data.model.actions.find((a) => a.kind !== 'assertion' && !a.assertions.length)!;
      expect(await page.locator(`#nodes .node[data-id="${unchecked.id}"] .badge`).count()).toBe(0);
    } finally {
      await page.close();
    }
  });

  it('draws assertions labelled with the table they check once the toggle is on', async () => {
    const page = await openSite();
    try {
      await page.locator('#show-assertions').check();
      const assertions = data.model.actions.filter((a) => a.kind === 'assertion');
      await expect.poll(() => page.locator('#nodes .node.layer-assertion').count()).toBe(assertions.length);
      expect(await page.locator('#nodes .badge').count()).toBe(0);
      const builtIn = assertions.filter((a) => a.parent);
      expect(builtIn.length).toBeGreaterThan(0);
      for (const assertion of builtIn) {
        const parent = data.model.actions.find((a) => a.id === assertion.parent)!;
        const label = await page
          .locator(`#nodes .node[data-id="${assertion.id}"] text`)
          .first()
          .textContent();
        expect(label).toMatch(new RegExp(`^${parent.name}: \\w+$`));
      }
      await page.screenshot({ path: screenshotPath('docs-lineage-1280-assertions') });
    } finally {
      await page.close();
    }
  });

  it("highlights an assertion's table when the assertion is picked while assertions are hidden", async () => {
    const page = await openSite();
    try {
      const assertion = data.model.actions.find((a) => a.kind === 'assertion' && a.parent)!;
      await page.locator(`#sidebar a[data-id="${assertion.id}"]`).click();
      await page.waitForSelector(`#details h2[data-id="${assertion.id}"]`);
      expect(await page.locator('#nodes .node.selected').getAttribute('data-id')).toBe(assertion.parent);
      await page.locator(`#nodes .node[data-id="${assertion.parent}"]`).click();
      await page.waitForSelector(`#details h2[data-id="${assertion.parent}"]`);
      const listed = await page.locator('#details .assertions li').allTextContents();
      expect(listed).toHaveLength(
        data.model.actions.find((a) => a.id === assertion.parent)!.assertions.length,
      );
      expect(listed.join('\n')).toContain(assertion.label);
      await page.screenshot({ path: screenshotPath('docs-lineage-1280-selected') });
    } finally {
      await page.close();
    }
  });
});

describe('the assertion badge of the docs fixture', () => {
  it('turns red and says how many assertions failed once a run finds a job without a name', async () => {
    const projectDir = join(root, 'fixture');
    writeFixtureProject(projectDir);
    const graph = await compileFixture(projectDir);
    const dbPath = join(root, 'failing.db');
    fillFixtureDatabase(dbPath, graph, 2);
    const db = openDatabase(dbPath);
    const siteDir = join(root, 'site-failing');
    try {
      db.prepare(
        `INSERT INTO jobs_raw (job_key, printer_serial, printer_name, status, started_at, ended_at, change_seq, updated_at)
         VALUES ('job-unnamed', '01P00A000000001', 'p1p', 'finished', '2026-01-02T08:00:00Z', '2026-01-02T09:00:00Z', 99,
           '2026-01-02T09:00:00Z')`,
      ).run();
      expect(runGraph(graph, { db, trigger: 'test' }).status).toBe('FAILED');
      const result = await generateDocsSite({ projectDir, outDir: siteDir, db, dbPath });
      expect(result.ok).toBe(true);
    } finally {
      db.close();
    }
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await page.goto(`file://${join(siteDir, 'index.html')}`);
      await page.waitForSelector('body[data-ready="true"]');
      const badge = page.locator('#nodes .node[data-id="main.jobs_brz"] .badge');
      expect(await badge.getAttribute('class')).toContain('badge-failed');
      expect(await badge.locator('title').textContent()).toBe('1 of 3 assertions failing');
      // The number is the failing ones, the tooltip tells the rest.
      expect(await badge.locator('text').textContent()).toBe('\u27171');
      await page.screenshot({ path: screenshotPath('docs-fixture-failing-badge') });
    } finally {
      await page.close();
    }
  });
});
