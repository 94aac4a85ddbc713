import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDocsSite } from '../docs-site/index.js';
import { openDatabase } from '../lib/sqlite.js';
import { compileFixture, fillFixtureDatabase } from './docs-fixture.js';
import { launchChromium, screenshotPath } from './helpers/browser.js';

let root: string;
let browser: Browser;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'docs-readability-'));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  rmSync(root, { recursive: true, force: true });
});

describe("the repository's own project in the docs site at 1280x900", () => {
  it('draws the lineage readable at first sight', async () => {
    const projectDir = process.cwd();
    const graph = await compileFixture(projectDir);
    const dbPath = join(root, 'history.db');
    fillFixtureDatabase(dbPath, graph, 4);
    const db = openDatabase(dbPath, { readonly: true });
    const outDir = join(root, 'site');
    try {
      const result = await generateDocsSite({ projectDir, outDir, db, dbPath });
      expect(result.ok).toBe(true);
    } finally {
      db.close();
    }
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await page.goto(`file://${join(outDir, 'index.html')}`);
      await page.waitForSelector('body[data-ready="true"]');
      await page.screenshot({ path: screenshotPath('docs-lineage-1280') });
    } finally {
      await page.close();
    }
  });
});
