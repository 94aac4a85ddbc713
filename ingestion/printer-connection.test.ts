import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { recordingLogger } from '../lib/logger.js';
import { openDatabase, type SqliteDatabase } from '../lib/sqlite.js';
import { startEmbeddedBroker } from '../simulator/embedded-broker.js';
import { until } from '../test/helpers/until.js';
import { PrinterConnection } from './printer-connection.js';
import { migrateRawSchema } from './raw-schema.js';
import { createTrustPolicy } from './trust.js';

const SERIAL = '01P00A000000009';
const CODE = 'q7Wm2x9Z';

const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const close of closers.reverse()) await close();
  closers.length = 0;
});

function tempDatabase(): { db: SqliteDatabase; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bambuzled-pin-'));
  const path = join(dir, 'raw.db');
  const db = openDatabase(path);
  migrateRawSchema(db);
  closers.push(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { db, path };
}

describe('PrinterConnection when the certificate pin cannot be written', () => {
  it('refuses the connection with a log line naming the printer, then retries and pins', async () => {
    const { db, path } = tempDatabase();
    const broker = await startEmbeddedBroker({ printers: { [SERIAL]: CODE } });
    closers.push(() => broker.close());
    // Another connection holds the write lock: pinning on first use fails with SQLITE_BUSY.
    db.pragma('busy_timeout = 0');
    const blocker = openDatabase(path);
    blocker.exec('BEGIN IMMEDIATE');
    let blocked = true;
    closers.push(() => {
      if (blocked) blocker.exec('ROLLBACK');
      blocker.close();
    });

    const logger = recordingLogger();
    let syncs = 0;
    const printer = { name: 'attic', host: broker.host, port: broker.port, accessCode: CODE, serial: SERIAL };
    const conn = new PrinterConnection({
      printer,
      trust: createTrustPolicy({ printer, db, logger }),
      onMessage: () => {},
      onSyncRequested: () => {
        syncs += 1;
      },
      logger,
      timing: { backoffInitialMs: 50, backoffMaxMs: 10_000 },
    });
    closers.push(() => conn.close());
    conn.start();
    await until(() => logger.lines.some((line) => line.includes('Refusing to connect for now')));

    const refusal = logger.lines.find((line) => line.includes('Refusing to connect for now')) ?? '';
    expect(refusal).toContain('attic');
    expect(refusal).toContain(SERIAL);
    expect(logger.lines.join('\n')).not.toContain(CODE);
    expect(broker.logins).toHaveLength(0); // refused before the access code left
    expect(conn.snapshot().connects).toBe(0);

    blocker.exec('ROLLBACK');
    blocked = false;
    // The usual back-off (not the 10 s maximum of a refused certificate) brings it back quickly.
    await until(() => syncs === 1, 5_000);
    const pinned = db.prepare('SELECT cert_fingerprint FROM printers_raw WHERE printer_serial = ?').pluck();
    expect(pinned.get(SERIAL)).toBe(broker.fingerprint);
  });
});
