import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { connect } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { startListener } from '../ingestion/listener.js';
import { migrateRawSchema } from '../ingestion/raw-schema.js';
import { recordingLogger } from '../lib/logger.js';
import { openDatabase } from '../lib/sqlite.js';
import { generateBrokerCertificate } from '../simulator/embedded-broker.js';
import { buildJobScript } from '../simulator/job-scripts.js';
import { startSimulatedFarm } from '../simulator/simulated-farm.js';
import { until } from './helpers/until.js';

const FAST = { backoffInitialMs: 50, backoffMaxMs: 400 };

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

async function setUp(codes: string[], options: { withCaFile?: boolean; statusIntervalMs?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'bambuzled-safety-'));
  const db = openDatabase(join(dir, 'raw.db'));
  migrateRawSchema(db);
  const farm = await startSimulatedFarm({
    printers: codes.map((accessCode, i) => ({
      serial: `01P00A00000090${i}`,
      accessCode,
      name: `farm-${i + 1}`,
    })),
    ...(options.withCaFile ? { withCaFile: true } : {}),
  });
  const logger = recordingLogger();
  const listener = startListener({
    config: farm.config,
    db,
    logger,
    timing: { ...FAST, statusIntervalMs: options.statusIntervalMs ?? 60_000 },
  });
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanup.push(() => {
    db.close();
  });
  cleanup.push(() => farm.close());
  cleanup.push(() => listener.close());
  await until(() => listener.status().every((s) => s.connected && s.reports > 0));
  return { dir, db, farm, logger, listener };
}

describe('the listener under bad input', () => {
  it('keeps running through a burst of malformed reports, counts them, and still records the next job', async () => {
    const { db, farm, listener } = await setUp(['Mal4med1']);
    const printer = farm.printers[0]!;
    const { username, password } = farm.broker.simulatorCredential;
    const injector = connect(farm.broker.url, {
      username,
      password,
      ca: farm.broker.caPem,
      servername: '127.0.0.1',
    });
    cleanup.push(() => injector.endAsync(true));
    await new Promise<void>((resolve) => injector.once('connect', () => resolve()));
    const garbage: (string | Buffer)[] = [
      '{"print": {"gcode_state": "RUN',
      'null',
      '[1,2,3]',
      '"just a string"',
      Buffer.from([0xff, 0xfe, 0x00, 0x81, 0x7b]),
      `{"print": ${'['.repeat(5000)}${']'.repeat(5000)}}`,
      '{"print": {"gcode_state": 42, "mc_percent": "lots", "layer_num": -7}}',
      '{"print": "not an object"}',
      '',
    ];
    const received = listener.status()[0]!.reports;
    for (let round = 0; round < 40; round++) {
      for (const payload of garbage) injector.publish(printer.reportTopic, payload);
    }
    // Every message of the burst has reached the listener before the job starts.
    await until(() => listener.status()[0]!.reports >= received + 40 * garbage.length);
    const script = buildJobScript('finish', { model: 'P1S', stepMs: 40 });
    await printer.play(script);
    await until(
      () => db.prepare('SELECT COUNT(*) FROM jobs_raw WHERE ended_at IS NOT NULL').pluck().get() === 1,
    );

    const status = listener.status()[0]!;
    const bad = Object.values(status.badInput).reduce((sum, n) => sum + n, 0);
    expect(bad).toBeGreaterThanOrEqual(40 * 5);
    expect(status.connected).toBe(true);
    expect(db.prepare('SELECT status FROM jobs_raw').pluck().all()).toEqual(['finished']);
  });
});

describe('the access code', () => {
  it('appears in no log line and in no byte of the database, even after a wrong code and a status line', async () => {
    const codes = ['S3cr3tAa', 'S3cr3tBb'];
    const { dir, db, farm, logger, listener } = await setUp(codes, { statusIntervalMs: 200 });
    await Promise.all(
      farm.printers.map((printer, i) =>
        printer.play(buildJobScript('finish', { model: 'P1S', stepMs: 30, index: i })),
      ),
    );
    await until(
      () => db.prepare('SELECT COUNT(*) FROM jobs_raw WHERE ended_at IS NOT NULL').pluck().get() === 2,
    );
    await until(() => logger.lines.some((line) => line.includes('last report')));

    // A third printer with a wrong code: the refusal is logged, the code is not.
    const wrongLogger = recordingLogger();
    const wrong = startListener({
      config: { ...farm.config, printers: [{ ...farm.config.printers[0]!, accessCode: 'Wr0ngC0d' }] },
      db,
      logger: wrongLogger,
      timing: FAST,
    });
    cleanup.push(() => wrong.close());
    await until(() => wrongLogger.lines.some((line) => line.includes('not authorized')));
    await listener.close();
    await wrong.close();
    db.pragma('wal_checkpoint(TRUNCATE)');

    const lines = [...logger.lines, ...wrongLogger.lines].join('\n');
    expect(lines).toContain('finished');
    for (const code of [...codes, 'Wr0ngC0d']) {
      expect(lines).not.toContain(code);
      for (const file of readdirSync(dir)) {
        expect(readFileSync(join(dir, file)).includes(Buffer.from(code))).toBe(false);
      }
    }
  });

  it('is masked in every line the listener writes, even one that would quote it', async () => {
    const logger = recordingLogger();
    const db = openDatabase(':memory:');
    migrateRawSchema(db);
    cleanup.push(() => {
      db.close();
    });
    // A name that contains the code is absurd, but it makes the listener's own lines carry it.
    const listener = startListener({
      config: {
        printers: [
          { name: 'garage-Qu0t3Me1', host: '127.0.0.1', port: 1, accessCode: 'Qu0t3Me1', serial: 'S1' },
        ],
        checkIntervalS: 60,
      },
      db,
      logger,
      timing: FAST,
    });
    cleanup.push(() => listener.close());
    await until(() => logger.lines.some((line) => line.includes('reconnecting')));
    expect(logger.lines.join('\n')).toContain('garage-********');
    expect(logger.lines.join('\n')).not.toContain('Qu0t3Me1');
  });

  it("masks printer B's code in a line about printer A, in a farm of 2,000", async () => {
    const logger = recordingLogger();
    const db = openDatabase(':memory:');
    migrateRawSchema(db);
    cleanup.push(() => {
      db.close();
    });
    // Printer A's name carries B's code: every line about A (its status, its failed connect) quotes it.
    const others = Array.from({ length: 2_000 }, (_, i) => ({
      name: `rack-${i}`,
      host: '127.0.0.1',
      port: 1,
      accessCode: `R4ck${String(i).padStart(4, '0')}`,
      serial: `R${i}`,
    }));
    const listener = startListener({
      config: {
        printers: [
          { name: 'A-B0bC0de9', host: '127.0.0.1', port: 1, accessCode: 'Al1c3C0d', serial: 'SA' },
          { name: 'B', host: '127.0.0.1', port: 1, accessCode: 'B0bC0de9', serial: 'SB' },
          ...others,
        ],
        checkIntervalS: 60,
      },
      db,
      logger,
      // A slow back-off: 2,000 refused connects once are enough.
      timing: { backoffInitialMs: 10_000, backoffMaxMs: 10_000, statusIntervalMs: 300 },
      jobFiles: { enabled: false },
    });
    cleanup.push(() => listener.close());
    await until(() =>
      logger.lines.some((line) => line.includes('printer "A-********"') && line.includes('reconnecting')),
    );
    await until(() => logger.lines.some((line) => line.startsWith('info A-********')));
    const all = logger.lines.join('\n');
    expect(all).not.toContain('B0bC0de9');
    expect(all).not.toContain('R4ck0042');
  });
});

describe('trust turned off', () => {
  it('connects with insecure: true, warns once, and pins nothing', async () => {
    const { db, farm } = await setUp(['Ins3cur1']);
    const logger = recordingLogger();
    db.prepare('UPDATE printers_raw SET cert_fingerprint = ?').run('00:11:22');
    const listener = startListener({
      config: { ...farm.config, printers: [{ ...farm.config.printers[0]!, insecure: true }] },
      db,
      logger,
      timing: FAST,
    });
    cleanup.push(() => listener.close());
    await until(() => listener.status()[0]!.connected);

    expect(listener.status()[0]!.trust).toBe('insecure');
    expect(logger.lines.filter((line) => line.includes('certificate checking is off'))).toHaveLength(1);
    expect(db.prepare('SELECT cert_fingerprint FROM printers_raw').pluck().all()).toEqual(['00:11:22']);
  });
});

describe('trust with a ca_file', () => {
  it('refuses a certificate that does not chain to ca_file, before the code is sent', async () => {
    const { db, farm } = await setUp(['C4F1le01']);
    const other = await generateBrokerCertificate(['01P00A000000900']);
    const caFile = join(mkdtempSync(join(tmpdir(), 'bambuzled-ca-')), 'other-ca.pem');
    writeFileSync(caFile, other.certPem);
    cleanup.push(() => rmSync(dirname(caFile), { recursive: true, force: true }));
    const logger = recordingLogger();
    const logins = farm.broker.logins.length;
    const listener = startListener({
      config: { ...farm.config, printers: [{ ...farm.config.printers[0]!, caFile }] },
      db,
      logger,
      timing: FAST,
    });
    cleanup.push(() => listener.close());
    await until(() => logger.lines.some((line) => line.includes('not trusted by ca_file')));

    expect(listener.status()[0]).toMatchObject({ connected: false, trust: 'ca' });
    expect(farm.broker.logins.length).toBe(logins);
  });

  it('connects when the certificate chains to ca_file and names the serial', async () => {
    const { listener } = await setUp(['C4F1le00'], { withCaFile: true });
    expect(listener.status()[0]).toMatchObject({ connected: true, trust: 'ca' });
  });
});
