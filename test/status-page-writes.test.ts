import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine } from '../adapter/index.js';
import { HealthFile, type ListenerHealth, listenerHealthPath } from '../ingestion/listener-health.js';
import { migrateRawSchema } from '../ingestion/raw-schema.js';
import { openDatabase, type SqliteDatabase } from '../lib/sqlite.js';
import { type Cron, createScheduler, type Scheduler } from '../scheduler/scheduler.js';
import { type StatusServer, startStatusServer } from '../scheduler/status-server.js';
import { launchChromium } from './helpers/browser.js';

const neverCron: Cron = {
  schedule: () => ({ stop: () => undefined, getNextRun: () => new Date('2026-11-27T12:00:30.000Z') }),
  validate: () => true,
};

let dir: string;
let db: SqliteDatabase;
let scheduler: Scheduler;
let server: StatusServer;
let browser: Browser | undefined;
let healthPath: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'status-writes-'));
  const dbPath = join(dir, 'history.db');
  db = openDatabase(dbPath);
  migrateRawSchema(db);
  healthPath = listenerHealthPath(dbPath);
  const projectDir = fileURLToPath(new URL('..', import.meta.url));
  scheduler = createScheduler({ engine: openEngine(dbPath), projectDir, cron: neverCron, pollIntervalMs: 0 });
  await scheduler.open();
  server = await startStatusServer({ scheduler, port: 0, listenerHealthFile: healthPath });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await scheduler?.close();
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

function publish(pending: number, failing: boolean): void {
  const health: ListenerHealth = {
    updatedAt: new Date().toISOString(),
    running: true,
    pid: 1,
    printers: [
      {
        name: 'garage',
        serial: '01P00A000000091',
        lastReportAt: new Date().toISOString(),
        writeFailures: failing ? 7 : 0,
        writes: {
          failing,
          failingSince: failing ? '2026-11-27T12:00:00.000Z' : null,
          lastError: failing ? 'database or disk is full' : null,
          pending,
          dropped: 0,
        },
      },
    ],
    archive: null,
  };
  const file = new HealthFile(healthPath);
  file.write(health);
  file.close();
}

describe('the status page while the listener cannot write', () => {
  it('says so in /api/status and in a banner, and drops the banner once writes work again', async () => {
    publish(42, true);
    const status = (await (await fetch(new URL('api/status', server.url))).json()) as {
      listener: unknown;
    };
    expect(status.listener).toMatchObject({
      fresh: true,
      printers: [
        {
          name: 'garage',
          writes: { failing: true, pending: 42, dropped: 0, lastError: 'database or disk is full' },
        },
      ],
    });

    browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(server.url);
    const banner = page.locator('#writes-warning');
    await banner.waitFor({ state: 'visible' });
    expect(await banner.textContent()).toMatch(
      /^The listener cannot write the database: garage \(01P00A000000091\) 42 report\(s\) waiting, 0 dropped \(database or disk is full\) since .+\. They are kept in memory and written as soon as the database accepts them\.$/,
    );
    publish(0, false);
    await banner.waitFor({ state: 'hidden' });
    await page.close();
  });
});
