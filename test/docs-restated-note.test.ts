import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DocsCatalog, type DocsServer, serveDocs } from '../docs-site/index.js';
import { recordingLogger } from '../lib/logger.js';
import { openDatabase } from '../lib/sqlite.js';
import { compileFixture, fillFixtureDatabase, writeFixtureProject } from './docs-fixture.js';
import { launchChromium } from './helpers/browser.js';

let root: string;
let dbPath: string;
let server: DocsServer;
let browser: Browser | undefined;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'docs-restated-'));
  const projectDir = join(root, 'project');
  dbPath = join(root, 'data', 'print_history.db');
  writeFixtureProject(projectDir);
  const graph = await compileFixture(projectDir);
  fillFixtureDatabase(dbPath, graph, 4);
  server = await serveDocs({ projectDir, dbPath, port: 0, logger: recordingLogger() });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

function restate(at: string, reason: string) {
  const db = openDatabase(dbPath);
  db.prepare(
    `INSERT INTO raw_restatements (restated_at, reason, printers, since, reports, skipped, jobs_replaced, jobs_written)
     VALUES (?, ?, '01P00A000000001,01S00C000000002', NULL, 1234, 1, 4, 4)`,
  ).run(at, reason);
  db.close();
}

describe('the docs site after a restatement', () => {
  it('says nothing about restating before the history was ever restated', async () => {
    const catalog = (await (await fetch(new URL('api/catalog', server.url))).json()) as DocsCatalog;
    expect(catalog.lastRestatement).toBeUndefined();
  });

  it('notes on the page when and why the history was last restated', async () => {
    restate('2026-01-02T09:00:00.000Z', 'an older fix');
    restate('2026-01-03T10:30:00.000Z', 'a fix of the cancel detection');
    const catalog = (await (await fetch(new URL('api/catalog', server.url))).json()) as DocsCatalog;
    expect(catalog.lastRestatement).toEqual({
      restatedAt: '2026-01-03T10:30:00.000Z',
      reason: 'a fix of the cancel detection',
      printers: ['01P00A000000001', '01S00C000000002'],
      since: null,
      reports: 1234,
      skipped: 1,
    });
    browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready="true"]');
    const note = page.locator('#restated');
    expect(await note.isVisible()).toBe(true);
    expect(await note.textContent()).toMatch(
      /^History restated from the report archive on .+: a fix of the cancel detection \(2 printers, 1234 reports replayed, 1 damaged skipped\)\.$/,
    );
    await page.close();
  });
});
