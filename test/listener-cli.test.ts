import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runListen } from '../cli/commands/listen.js';
import { runSimulate, type SimulateOptions } from '../cli/commands/simulate.js';
import { openDatabase } from '../lib/sqlite.js';
import { startEmbeddedBroker } from '../simulator/embedded-broker.js';
import { until } from './helpers/until.js';

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bambuzled-cli-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** What the command writes to stderr/stdout, kept from the terminal for the test to read. */
function captureOutput() {
  const errors: string[] = [];
  const logs: string[] = [];
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    errors.push(args.join(' '));
  });
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    logs.push(args.join(' '));
  });
  return { errors, logs };
}

const simulateDefaults = (dir: string): Omit<SimulateOptions, 'serial' | 'accessCode'> => ({
  port: '0',
  model: 'P1S',
  jobs: 'finish',
  stepMs: '40',
  gapMs: '100',
  deltaMs: '0',
  caOut: join(dir, 'ca.pem'),
  certDir: join(dir, 'certs'),
  once: true,
});

describe('bambuzled listen', () => {
  it('exits with 2 and says how to configure when the config has no printers', async () => {
    const dir = tempDir();
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ check_interval: 60 }));
    const { errors } = captureOutput();

    const code = await runListen({ config, db: join(dir, 'x.db') }, Promise.resolve(), {});

    expect(code).toBe(2);
    expect(errors.join('\n')).toContain('No printers configured');
    expect(errors.join('\n')).toContain('serial_number');
  });

  it('exits with 2 and prints the config error, without the access code', async () => {
    const dir = tempDir();
    const config = join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({ printer_ip: 'http://nope', access_code: 'Sh0rtXyz', serial_number: 'S1' }),
    );
    const { errors } = captureOutput();

    const code = await runListen({ config }, Promise.resolve(), {});

    expect(code).toBe(2);
    expect(errors.join('\n')).toContain('printer_ip');
    expect(errors.join('\n')).not.toContain('Sh0rtXyz');
  });

  it('records the jobs of `bambuzled simulate` and exits with 0 on a stop signal', async () => {
    const dir = tempDir();
    const serial = '01P00A000000123';
    const accessCode = 'CliC0de1';
    const broker = await startEmbeddedBroker({ printers: { [serial]: accessCode } });
    cleanup.push(() => broker.close());
    const caFile = join(dir, 'broker.pem');
    writeFileSync(caFile, broker.caPem);
    const config = join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        name: 'cli-printer',
        printer_ip: broker.host,
        port: broker.port,
        access_code: accessCode,
        serial_number: serial,
        ca_file: caFile,
      }),
    );
    const dbPath = join(dir, 'history.db');
    const { errors } = captureOutput();
    let stop: () => void = () => {};
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const listening = runListen({ config, db: dbPath }, stopped, {});
    await until(() => errors.some((line) => line.includes('connected to')));

    const simulated = await runSimulate(
      {
        ...simulateDefaults(dir),
        broker: broker.url,
        ca: caFile,
        serial,
        accessCode,
        jobs: 'finish,cancel',
      },
      new Promise(() => {}),
    );
    expect(simulated).toBe(0);
    await until(() => errors.some((line) => line.includes('cancelled (running -> cancelled)')));
    stop();
    expect(await listening).toBe(0);

    const db = openDatabase(dbPath, { readonly: true });
    const statuses = db.prepare('SELECT status FROM jobs_raw ORDER BY id').pluck().all();
    db.close();
    expect(statuses).toEqual(['finished', 'cancelled']);
    expect(errors.join('\n')).not.toContain(accessCode);
  });
});

describe('bambuzled simulate', () => {
  it('starts its own broker and prints a listener config without the access code', async () => {
    const dir = tempDir();
    const { logs } = captureOutput();

    const code = await runSimulate(
      {
        ...simulateDefaults(dir),
        embeddedBroker: true,
        serial: '00M00A000000456',
        accessCode: 'EmB3dd3d',
        jobs: '',
      },
      Promise.resolve(),
    );

    expect(code).toBe(0);
    const printed = logs.join('\n');
    expect(printed).toMatch(/"port": \d+/);
    expect(printed).toContain('"serial_number": "00M00A000000456"');
    expect(printed).not.toContain('EmB3dd3d');
  });

  it('presents the same certificate when its embedded broker starts again', async () => {
    const dir = tempDir();
    const { logs } = captureOutput();
    const once = {
      ...simulateDefaults(dir),
      embeddedBroker: true,
      serial: '00M00A000000789',
      accessCode: 'Ag41nAg4',
      jobs: '',
    };
    expect(await runSimulate(once, Promise.resolve())).toBe(0);
    expect(await runSimulate(once, Promise.resolve())).toBe(0);
    const fingerprints = logs.join('\n').match(/certificate SHA-256 (\S+)\./g) ?? [];
    expect(fingerprints).toHaveLength(2);
    expect(fingerprints[0]).toBe(fingerprints[1]);
  });

  it('exits with 2 for an unknown job kind, naming the known ones', async () => {
    const dir = tempDir();
    const { errors } = captureOutput();
    const code = await runSimulate(
      {
        ...simulateDefaults(dir),
        broker: 'mqtts://127.0.0.1:1',
        serial: 'S',
        accessCode: 'x',
        jobs: 'finish,explode',
      },
      Promise.resolve(),
    );
    expect(code).toBe(2);
    expect(errors.join('\n')).toContain('"explode"');
    expect(errors.join('\n')).toContain('old-cancel');
  });
});
