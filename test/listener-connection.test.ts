import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as mqttConnect } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { PrinterConnection } from '../ingestion/printer-connection.js';
import { migrateRawSchema } from '../ingestion/raw-schema.js';
import { createTrustPolicy } from '../ingestion/trust.js';
import { recordingLogger } from '../lib/logger.js';
import { openDatabase, type SqliteDatabase } from '../lib/sqlite.js';
import {
  type EmbeddedBroker,
  generateBrokerCertificate,
  startEmbeddedBroker,
} from '../simulator/embedded-broker.js';
import { SimulatedPrinter } from '../simulator/simulated-printer.js';
import { until } from './helpers/until.js';

const SERIAL = '01P00A000000001';
const CODE = 'k3Yc0d3X';

interface Harness {
  dir: string;
  db: SqliteDatabase;
  closers: (() => Promise<void> | void)[];
}

let harness: Harness | undefined;

function setUp(): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'bambuzled-conn-'));
  const db = openDatabase(join(dir, 'raw.db'));
  migrateRawSchema(db);
  harness = { dir, db, closers: [] };
  return harness;
}

afterEach(async () => {
  if (!harness) return;
  for (const close of harness.closers.reverse()) await close();
  harness.db.close();
  rmSync(harness.dir, { recursive: true, force: true });
  harness = undefined;
});

function connection(
  h: Harness,
  broker: EmbeddedBroker,
  options: { serial?: string; code?: string; watchdogMs?: number; clock?: ManualClock } = {},
) {
  const logger = recordingLogger();
  const messages: { topic: string; payload: string }[] = [];
  let syncs = 0;
  let attempts = 0;
  const printer = {
    name: 'garage',
    host: broker.host,
    port: broker.port,
    accessCode: options.code ?? CODE,
    serial: options.serial ?? SERIAL,
  };
  const conn = new PrinterConnection({
    printer,
    trust: createTrustPolicy({ printer, db: h.db, logger }),
    onMessage: (topic, payload) => messages.push({ topic, payload: payload.toString('utf8') }),
    onSyncRequested: () => {
      syncs += 1;
    },
    logger,
    // Counts connection attempts as they start (synchronously), so a test can tell that none began.
    connect: (url, mqttOptions) => {
      attempts += 1;
      return mqttConnect(url, mqttOptions);
    },
    // On a hand-driven clock the real timings apply; on the wall clock they are shortened.
    ...(options.clock
      ? { now: options.clock.now, timers: options.clock.timers }
      : { timing: { backoffInitialMs: 50, backoffMaxMs: 200, watchdogMs: options.watchdogMs ?? 60_000 } }),
  });
  h.closers.push(() => conn.close());
  return { conn, logger, messages, syncs: () => syncs, attempts: () => attempts };
}

describe('a printer connection over TLS', () => {
  it('logs in as bblp, asks for get_version and pushall, and receives the full report', async () => {
    const h = setUp();
    const broker = await startEmbeddedBroker({ printers: { [SERIAL]: CODE } });
    h.closers.push(() => broker.close());
    const printer = new SimulatedPrinter({
      brokerUrl: broker.url,
      serial: SERIAL,
      accessCode: CODE,
      ca: broker.caPem,
    });
    await printer.start();
    h.closers.push(() => printer.stop());

    const { conn, messages, syncs } = connection(h, broker);
    conn.start();
    await until(() => messages.some((m) => m.payload.includes('"msg":0')));

    expect(syncs()).toBe(1);
    expect(conn.snapshot().connects).toBe(1);
    expect(printer.counters.pushalls).toBe(1);
    expect(printer.counters.versions).toBe(1);
    expect(messages.every((m) => m.topic === `device/${SERIAL}/report`)).toBe(true);
    expect(conn.snapshot()).toMatchObject({
      connected: true,
      trust: 'tofu',
      fingerprint: broker.fingerprint,
    });
  });

  it('pins the certificate on first use and refuses a changed one, naming both fingerprints', async () => {
    const h = setUp();
    const first = await startEmbeddedBroker({ printers: { [SERIAL]: CODE } });
    const port = first.port;
    const { conn, syncs } = connection(h, first);
    conn.start();
    await until(() => syncs() === 1);
    await conn.close();
    await first.close();
    const pinned = h.db
      .prepare('SELECT cert_fingerprint FROM printers_raw WHERE printer_serial = ?')
      .pluck()
      .get(SERIAL);
    expect(pinned).toBe(first.fingerprint);

    const impostor = await startEmbeddedBroker({
      port,
      printers: { [SERIAL]: CODE },
      certificate: await generateBrokerCertificate([SERIAL]),
    });
    h.closers.push(() => impostor.close());
    const second = connection(h, impostor);
    second.conn.start();
    await until(() => second.logger.lines.some((line) => line.includes('different TLS certificate')));

    const refusal = second.logger.lines.find((line) => line.includes('different TLS certificate')) ?? '';
    expect(refusal).toContain(first.fingerprint);
    expect(refusal).toContain(impostor.fingerprint);
    expect(refusal).toContain('garage');
    expect(second.syncs()).toBe(0);
    expect(second.conn.snapshot().connects).toBe(0);
    // The access code never reached the impostor: it saw no login at all.
    expect(impostor.logins).toHaveLength(0);
  });

  it('says "not authorized" and names the printer, never the code, when the access code is wrong', async () => {
    const h = setUp();
    const broker = await startEmbeddedBroker({ printers: { [SERIAL]: CODE } });
    h.closers.push(() => broker.close());
    const wrong = 'WrOnG123';
    const { conn, logger } = connection(h, broker, { code: wrong });
    conn.start();
    await until(() => logger.lines.some((line) => line.includes('not authorized')));

    const line = logger.lines.find((l) => l.includes('not authorized')) ?? '';
    expect(line).toContain('garage');
    expect(line).toContain(SERIAL);
    expect(logger.lines.join('\n')).not.toContain(wrong);
    expect(conn.snapshot().connected).toBe(false);
  });

  it('says why it cannot connect when nothing listens at the printer address', async () => {
    const h = setUp();
    const broker = await startEmbeddedBroker({ printers: { [SERIAL]: CODE } });
    await broker.close(); // its port is now closed: a wrong printer_ip or port looks like this
    const { conn, logger } = connection(h, broker);
    conn.start();
    await until(() => logger.lines.some((line) => line.includes('cannot connect')));

    const line = logger.lines.find((l) => l.includes('cannot connect')) ?? '';
    expect(line).toContain(`${broker.host}:${broker.port}`);
    expect(line).toMatch(/ECONNREFUSED/);
    expect(line).toContain('Check printer_ip and port');
    expect(logger.lines.join('\n')).not.toContain(CODE);
  });

  it('reconnects after a silent period and tells to check a mis-cased serial', async () => {
    const h = setUp();
    const broker = await startEmbeddedBroker({ printers: { [SERIAL]: CODE, [SERIAL.toLowerCase()]: CODE } });
    h.closers.push(() => broker.close());
    const printer = new SimulatedPrinter({
      brokerUrl: broker.url,
      serial: SERIAL,
      accessCode: CODE,
      insecure: true,
    });
    await printer.start();
    h.closers.push(() => printer.stop());

    const { conn, logger, messages } = connection(h, broker, {
      serial: SERIAL.toLowerCase(),
      watchdogMs: 300,
    });
    conn.start();
    await until(() => conn.snapshot().connects >= 2);

    expect(messages).toHaveLength(0);
    expect(logger.lines.some((line) => line.includes('Check serial_number'))).toBe(true);
  });
});

/** Timers that fire only when the test moves the clock. */
type ManualClock = ReturnType<typeof manualClock>;

function manualClock(start = Date.parse('2026-05-01T10:00:00Z')) {
  let nowMs = start;
  let nextId = 1;
  const pending = new Map<number, { at: number; callback: () => void }>();
  return {
    now: () => new Date(nowMs),
    timers: {
      setTimeout: (callback: () => void, ms: number) => {
        const id = nextId++;
        pending.set(id, { at: nowMs + ms, callback });
        return id;
      },
      clearTimeout: (handle: unknown) => {
        pending.delete(handle as number);
      },
    },
    /** Moves the clock forward, firing due timers in order. */
    advance(ms: number) {
      const target = nowMs + ms;
      for (;;) {
        const due = [...pending.entries()]
          .filter(([, t]) => t.at <= target)
          .sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        pending.delete(due[0]);
        nowMs = due[1].at;
        due[1].callback();
      }
      nowMs = target;
    },
  };
}

/** A simulated printer online at an embedded broker, and a connection to it on a hand-driven clock. */
async function printerOnInjectedTimers() {
  const h = setUp();
  const broker = await startEmbeddedBroker({ printers: { [SERIAL]: CODE } });
  h.closers.push(() => broker.close());
  const printer = new SimulatedPrinter({
    brokerUrl: broker.url,
    serial: SERIAL,
    accessCode: CODE,
    ca: broker.caPem,
  });
  await printer.start();
  h.closers.push(() => printer.stop());
  const clock = manualClock();
  const { conn, logger, syncs, attempts } = connection(h, broker, { clock });
  return { broker, printer, clock, logger, conn, syncs, attempts };
}

describe('the watchdog and the pushall spacing, on injected timers', () => {
  it('reconnects after 60 s without a report and sends the next pushall only 5 minutes after the last', async () => {
    const { printer, clock, logger, conn, syncs } = await printerOnInjectedTimers();
    conn.start();
    await until(() => printer.counters.pushalls === 1);

    clock.advance(60_000); // the printer says nothing more: the watchdog fires
    await until(() => !conn.snapshot().connected);
    clock.advance(1_000); // first back-off step
    await until(() => conn.snapshot().connects === 2);
    // The connection decides right after subscribing (the same callback sends get_version): wait for
    // the decision itself rather than for a pushall that should not come.
    await until(() => logger.lines.some((line) => line.includes('full report (pushall) deferred by 239 s')));
    expect(syncs()).toBe(1);
    expect(printer.counters.pushalls).toBe(1);
    expect(logger.lines.some((line) => line.includes('no report for 60 s'))).toBe(true);

    // The printer keeps reporting (a quiet minute would fire the watchdog again and close the connection
    // while the deferred pushall goes out). That pushall is a timer on the hand-driven clock: it fires
    // inside advance() or not at all.
    const reportAndWait = async () => {
      const reports = conn.snapshot().reports;
      await printer.report({ wifi_signal: '-60dBm' });
      await until(() => conn.snapshot().reports > reports);
    };
    for (let step = 0; step < 4; step++) {
      await reportAndWait();
      clock.advance(59_500);
    }
    expect(syncs()).toBe(1);
    await reportAndWait();
    clock.advance(1_000); // 5 minutes after the first pushall
    expect(syncs()).toBe(2);
    await until(() => printer.counters.pushalls === 2);
    expect(conn.snapshot().connects).toBe(2);
  });
});

describe('a reconnect after a lost connection, on injected timers', () => {
  it('asks for pushall at once every time, and backs off until a connection has stayed up 60 s', async () => {
    const { broker, printer, clock, logger, conn, syncs, attempts } = await printerOnInjectedTimers();
    const dropListener = async () => {
      expect(broker.dropClients((id) => id.startsWith('bambuzled_'))).toBe(1);
      await until(() => !conn.snapshot().connected);
    };
    conn.start();
    await until(() => printer.counters.pushalls === 1);

    await dropListener();
    clock.advance(1_000); // first back-off step
    await until(() => printer.counters.pushalls === 2); // within seconds of the first: no spacing
    expect(syncs()).toBe(2);
    expect(logger.lines.filter((line) => line.includes('pushall after reconnect'))).toHaveLength(1);

    // Dropped again at once: the back-off was not reset by the short-lived connection.
    await dropListener();
    expect(logger.lines.filter((line) => line.includes('reconnecting in')).at(-1)).toContain(
      'reconnecting in 2 s.',
    );
    // The reconnect timer is on the hand-driven clock: an attempt starts inside advance() or not at all.
    clock.advance(1_000);
    expect(attempts()).toBe(2);
    clock.advance(1_000);
    expect(attempts()).toBe(3);
    await until(() => printer.counters.pushalls === 3);
    expect(conn.snapshot().connects).toBe(3);

    // Up for 60 s: the next loss reconnects after the shortest delay again.
    clock.advance(30_000);
    const reports = conn.snapshot().reports;
    await printer.report({ wifi_signal: '-60dBm' }); // keeps the watchdog quiet
    await until(() => conn.snapshot().reports > reports);
    clock.advance(30_000);
    await dropListener();
    clock.advance(1_000);
    await until(() => printer.counters.pushalls === 4);
    expect(syncs()).toBe(4);
    expect(logger.lines.filter((line) => line.includes('pushall after reconnect'))).toHaveLength(3);
  });
});
