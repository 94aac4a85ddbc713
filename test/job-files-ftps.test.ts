/**
 * The job's .3mf fetched from a real FTPS server (vsftpd with implicit TLS and require_ssl_reuse, as
 * the printers) and its filament recorded in the raw layer; and every way that can go wrong.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { downloadFirst } from '../ingestion/ftps-download.js';
import { JobFileFetcher } from '../ingestion/job-file-fetcher.js';
import { RawWriter, type WrittenTransition } from '../ingestion/raw-writer.js';
import { type TrackerHarness, trackerHarness } from '../ingestion/tracker-harness.js';
import { createTrustPolicy } from '../ingestion/trust.js';
import { generateBrokerCertificate } from '../simulator/embedded-broker.js';
import { buildThreeMf } from '../simulator/three-mf.js';
import { startVsftpd, VSFTPD_ACCESS_CODE, type Vsftpd, vsftpdLog } from './helpers/vsftpd.js';

const SERIAL = '00M09A350100123';
const EXAMPLE_XML = readFileSync(
  new URL('./fixtures/bambu/slice_info_config_example.xml', import.meta.url),
  'utf8',
);

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

/** Timers the test fires by hand: a retry happens when the test says so. */
function handTimers() {
  let pending: Array<{ fn: () => void }> = [];
  return {
    setTimeout: (fn: () => void) => {
      const handle = { fn };
      pending.push(handle);
      return handle;
    },
    clearTimeout: (handle: unknown) => {
      pending = pending.filter((p) => p !== handle);
    },
    pending: () => pending.length,
    fire: () => {
      const due = pending;
      pending = [];
      for (const p of due) p.fn();
    },
  };
}

/** A printer with one open job named `name`, its FTPS server, and a fetcher for its files. */
async function setUp(
  options: {
    name?: string;
    gcodeFile?: string;
    accessCode?: string;
    server?: 'vsftpd' | 'hangs';
    untrusted?: boolean;
    preparing?: boolean;
  } = {},
) {
  const name = options.name ?? 'Bracket';
  const h: TrackerHarness = trackerHarness({ serial: SERIAL, name: 'Workshop X1C' });
  cleanup.push(() => h.close());
  h.send({ gcode_state: 'IDLE', msg: 0 }, '2026-03-01T08:00:00.000Z');
  h.sendRaw(JSON.stringify({ print: { command: 'project_file', ams_mapping: [2, -1, 0] } }));
  h.send(
    {
      gcode_state: 'PREPARE',
      subtask_name: name,
      gcode_file: options.gcodeFile ?? '/data/Metadata/plate_1.gcode',
      print_type: 'local',
      msg: 1,
    },
    1_000,
  );
  // Printing (out of its preparation), unless the test wants the job still heating.
  if (!options.preparing) h.send({ gcode_state: 'RUNNING', stg_cur: 0, msg: 1 }, 30_000);
  const jobKey = String(h.jobs()[0]?.job_key);

  let port: number;
  let server: Vsftpd | null = null;
  let certFile: string;
  if (options.server === 'hangs') {
    const sockets: Socket[] = [];
    const hung: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    port = (hung.address() as { port: number }).port;
    cleanup.push(
      () =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy();
          hung.close(() => resolve());
        }),
    );
    certFile = join(h.dbPath, '..', 'none.pem');
    writeFileSync(certFile, (await generateBrokerCertificate([SERIAL])).certPem);
  } else {
    server = await startVsftpd({ serial: SERIAL });
    cleanup.push(() => server?.stop());
    port = server.port;
    certFile = server.certFile;
    if (options.untrusted) {
      certFile = join(h.dbPath, '..', 'other.pem');
      writeFileSync(certFile, (await generateBrokerCertificate([SERIAL])).certPem);
    }
  }

  const logger = h.logger;
  const trust = createTrustPolicy({
    printer: { name: 'Workshop X1C', serial: SERIAL, caFile: certFile },
    db: h.db,
    logger,
  });
  const accessCode = options.accessCode ?? VSFTPD_ACCESS_CODE;
  // A deadline, not an expectation: a 40 MB download on a loaded machine takes seconds. Only the
  // server that never answers gets a short one, since timing out is what its test is about.
  const timeoutMs = options.server === 'hangs' ? 1_500 : 60_000;
  const timers = handTimers();
  const records: WrittenTransition[] = [];
  let notify: (() => void) | null = null;
  const fetcher = new JobFileFetcher({
    printer: { name: 'Workshop X1C', serial: SERIAL },
    writer: new RawWriter(h.db),
    download: (candidates, file, signal) =>
      downloadFirst(
        { host: '127.0.0.1', port, serial: SERIAL, accessCode, trust },
        candidates,
        file,
        timeoutMs,
        signal,
      ),
    state: () => h.tracker.currentState(),
    logger,
    now: () => h.now(),
    timers,
    timing: { attempts: 3, retryDelayMs: 5_000, timeoutMs },
    onRecorded: (w) => {
      records.push(w);
      notify?.();
    },
  });
  cleanup.push(() => fetcher.close());
  const recorded = () =>
    new Promise<void>((resolve) => {
      if (records.length > 0) resolve();
      else notify = resolve;
    });
  const put = (path: string, bytes: Uint8Array | string) => {
    if (!server) throw new Error('no server');
    writeFileSync(join(server.root, path), bytes);
  };
  const file = () =>
    h.db.prepare('SELECT * FROM job_files_raw WHERE job_key = ?').get(jobKey) as Record<string, unknown>;
  const filaments = () =>
    h.db.prepare('SELECT * FROM job_filaments_raw WHERE job_key = ? ORDER BY slot').all(jobKey) as Record<
      string,
      unknown
    >[];
  /** Runs attempts, firing each retry, until the fetch is recorded; fails if it stops without a record. */
  const fetchAll = async () => {
    fetcher.request(jobKey);
    while (records.length === 0) {
      await fetcher.idle();
      if (records.length > 0) break;
      // Nothing running and no retry waiting means no record will ever come: say so, instead of
      // spinning on promises that starve the event loop (and with it the test's own timeout).
      if (timers.pending() === 0) {
        throw new Error(`the fetcher stopped without recording; its log:\n${logger.lines.join('\n')}`);
      }
      timers.fire();
    }
  };
  return {
    h,
    jobKey,
    fetcher,
    timers,
    recorded,
    put,
    file,
    filaments,
    fetchAll,
    server: () => server,
    accessCode,
  };
}

/** Sends FTP commands on a TLS control connection and reads the replies, for the server test below. */
function ftpControl(socket: TLSSocket) {
  let buffer = '';
  const waiting: Array<(line: string) => void> = [];
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    for (let end = buffer.indexOf('\r\n'); end >= 0; end = buffer.indexOf('\r\n')) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      // The last line of a reply is "NNN text"; "NNN-" lines continue it.
      if (/^\d{3} /.test(line)) waiting.shift()?.(line);
    }
  });
  const reply = () => new Promise<string>((resolve) => waiting.push(resolve));
  return {
    reply,
    send: (command: string) => {
      const next = reply();
      socket.write(`${command}\r\n`);
      return next;
    },
  };
}

describe('the test FTPS server', () => {
  it('refuses a data connection that does not resume the TLS session, as the printers do', async () => {
    const server = await startVsftpd({ serial: SERIAL });
    cleanup.push(() => server.stop());
    const control = connectTls({ host: '127.0.0.1', port: server.port, rejectUnauthorized: false });
    cleanup.push(() => {
      control.destroy();
    });
    const ftp = ftpControl(control);
    expect(await ftp.reply()).toMatch(/^220 /);
    expect(await ftp.send('USER bblp')).toMatch(/^331 /);
    expect(await ftp.send(`PASS ${VSFTPD_ACCESS_CODE}`)).toMatch(/^230 /);
    await ftp.send('PBSZ 0');
    expect(await ftp.send('PROT P')).toMatch(/^200 /);
    const pasv = await ftp.send('PASV');
    const [, p1, p2] = /,(\d+),(\d+)\)/.exec(pasv) ?? [];
    // A fresh TLS session on the data connection, as a client without session reuse makes it.
    const data = connectTls({
      host: '127.0.0.1',
      port: Number(p1) * 256 + Number(p2),
      rejectUnauthorized: false,
    });
    data.on('error', () => {});
    cleanup.push(() => {
      data.destroy();
    });
    const listed = ftp.send('LIST');
    const replies = [await listed, await ftp.reply()];
    expect(replies.join(' ')).toMatch(/522 .*session reuse required/i);
  });
});

describe("a job's filament over FTPS", () => {
  it('records each filament of the plate with its AMS tray from ams_mapping, and the plate prediction', async () => {
    const t = await setUp();
    t.put('cache/Bracket.gcode.3mf', buildThreeMf({ xml: EXAMPLE_XML }));
    await t.fetchAll();
    expect(t.file()).toMatchObject({
      status: 'fetched',
      reason: null,
      remote_path: '/cache/Bracket.gcode.3mf',
      plate_index: 1,
      prediction_s: 4521,
      plate_weight_g: 31.25,
      attempts: 1,
    });
    expect(t.filaments()).toEqual([
      expect.objectContaining({
        source: '3mf',
        slot: 1,
        ams_tray: 2,
        tray_match: 'ams_mapping',
        filament_type: 'PLA',
        filament_color: '00AE42FF',
        used_g: 21.83,
        used_m: 7.32,
      }),
      expect.objectContaining({
        source: '3mf',
        slot: 3,
        ams_tray: 0,
        tray_match: 'ams_mapping',
        filament_type: 'PETG',
        filament_color: '1A1A1AFF',
        used_g: 9.42,
        used_m: 3.11,
      }),
    ]);
    // The figures bump the change sequence, with the job's status unchanged.
    expect(t.h.events().map((e) => [e.event, e.from_status, e.to_status])).toEqual([
      ['started', null, 'running'],
      ['filament_recorded', 'running', 'running'],
    ]);
    // vsftpd only serves a data connection that resumed the control connection's TLS session.
    expect(vsftpdLog(t.server() as Vsftpd)).toMatch(/"RETR \/cache\/Bracket\.gcode\.3mf"/);
    expect(vsftpdLog(t.server() as Vsftpd)).toMatch(/226 Transfer complete/);
  });

  it("finds a LAN upload at the card's root under its gcode_file name", async () => {
    const t = await setUp({ name: 'Bracket v2', gcodeFile: 'bracket-v2-final.gcode.3mf' });
    t.put('bracket-v2-final.gcode.3mf', buildThreeMf({ xml: EXAMPLE_XML }));
    await t.fetchAll();
    expect(t.file()).toMatchObject({ status: 'fetched', remote_path: '/bracket-v2-final.gcode.3mf' });
  });

  it('tries again while the file is not there yet, and reads it once the printer has written it', async () => {
    const t = await setUp();
    t.fetcher.request(t.jobKey);
    await t.fetcher.idle();
    expect(t.timers.pending()).toBe(1);
    expect(t.h.db.prepare('SELECT COUNT(*) AS n FROM job_files_raw').get()).toEqual({ n: 0 });
    t.put('cache/Bracket.gcode.3mf', buildThreeMf({ xml: EXAMPLE_XML }));
    t.timers.fire();
    await t.recorded();
    expect(t.file()).toMatchObject({ status: 'fetched', attempts: 2 });
  });

  it('reads a 40 MB file from disk, not memory, and inflates only slice_info.config', async () => {
    const t = await setUp();
    t.put('cache/Bracket.gcode.3mf', buildThreeMf({ xml: EXAMPLE_XML, padding: 40 * 1024 * 1024 }));
    await t.fetchAll();
    expect(t.file()).toMatchObject({ status: 'fetched', prediction_s: 4521 });
  });

  it('gives up on a .3mf that is not a zip: no grams, the reason kept, one clear log line', async () => {
    const t = await setUp();
    t.put('cache/Bracket.gcode.3mf', 'this is not a zip file');
    await t.fetchAll();
    expect(t.file()).toMatchObject({ status: 'unreadable', attempts: 3 });
    expect(String(t.file().reason)).toMatch(
      /^\/cache\/Bracket\.gcode\.3mf: the job's file is not a \.3mf \(zip\) archive/,
    );
    expect(t.filaments()).toEqual([]);
    const warnings = t.h.logger.lines.filter((l) => l.includes('no filament figures'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^warn \[Workshop X1C\] job .+ \("Bracket"\): no filament figures \(unreadable\)/,
    );
  });

  it('records no_filaments for a slice_info.config that lists none', async () => {
    const t = await setUp();
    const xml = EXAMPLE_XML.replace(/<filament [^>]*\/>/g, '');
    t.put('cache/Bracket.gcode.3mf', buildThreeMf({ xml }));
    await t.fetchAll();
    expect(t.file()).toMatchObject({ status: 'no_filaments', attempts: 1 });
    expect(t.filaments()).toEqual([]);
  });

  it('records not_found after the last attempt when the printer keeps no file (LAN-only without storage)', async () => {
    const t = await setUp();
    await t.fetchAll();
    expect(t.file()).toMatchObject({ status: 'not_found', attempts: 3 });
    expect(String(t.file().reason)).toContain(
      '/cache/Bracket.gcode.3mf, /cache/Bracket.3mf, /Bracket.gcode.3mf, /Bracket.3mf',
    );
  });

  it('stops at a refused login, once, and never shows the access code', async () => {
    const t = await setUp({ accessCode: 'Wr0ngC0d' });
    t.put('cache/Bracket.gcode.3mf', buildThreeMf({ xml: EXAMPLE_XML }));
    await t.fetchAll();
    expect(t.file()).toMatchObject({ status: 'login_refused', attempts: 1 });
    expect(String(t.file().reason)).toMatch(/refused the FTPS login of user bblp .*check access_code/);
    const everything = [JSON.stringify(t.file()), ...t.h.logger.lines].join('\n');
    expect(everything).not.toContain('Wr0ngC0d');
    expect(everything).not.toContain(VSFTPD_ACCESS_CODE);
  });

  it('keeps trying while the job is still preparing, and counts the attempts once it prints', async () => {
    const t = await setUp({ preparing: true });
    t.fetcher.request(t.jobKey);
    for (let i = 0; i < 5; i++) {
      await t.fetcher.idle();
      expect(t.timers.pending()).toBe(1);
      t.timers.fire();
    }
    t.h.send({ gcode_state: 'RUNNING', stg_cur: 0, msg: 1 }, 30_000);
    while (t.h.db.prepare('SELECT 1 FROM job_files_raw').get() === undefined) {
      await t.fetcher.idle();
      if (t.h.db.prepare('SELECT 1 FROM job_files_raw').get() !== undefined) break;
      // A retry must be waiting, else the loop would spin forever on resolved promises.
      expect(t.timers.pending()).toBe(1);
      t.timers.fire();
    }
    // Six tries while preparing did not count; three more once printing used up the budget of three.
    expect(t.file()).toMatchObject({ status: 'not_found', attempts: 9 });
  });

  it('refuses a server whose certificate ca_file does not trust, before the access code is sent', async () => {
    const t = await setUp({ untrusted: true });
    t.put('cache/Bracket.gcode.3mf', buildThreeMf({ xml: EXAMPLE_XML }));
    await t.fetchAll();
    expect(t.file()).toMatchObject({ status: 'untrusted', attempts: 1 });
    expect(String(t.file().reason)).toMatch(/not trusted by ca_file .*the access code was not sent/);
    expect(vsftpdLog(t.server() as Vsftpd)).not.toMatch(/USER bblp|PASS/);
  });

  it('times out on a server that accepts and never answers', async () => {
    const t = await setUp({ server: 'hangs' });
    await t.fetchAll();
    expect(t.file()).toMatchObject({ status: 'timeout', attempts: 3 });
    expect(String(t.file().reason)).toMatch(/did not answer within 1500 ms/);
  });
});
