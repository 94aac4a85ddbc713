import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { renderConfigTable } from '../lib/config-schema.js';
import { CONFIG_FIELDS, ConfigError, loadConfig, parseConfig } from './config.js';

const CODE = 'a1B2c3D4';
const single = { printer_ip: '192.168.1.50', access_code: CODE, serial_number: '01P00A123456789' };

function problem(raw: unknown, env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    parseConfig(raw, env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('reads the original single-printer keys with their defaults', () => {
    expect(parseConfig({ ...single, check_interval: 30, db_file: 'data/x.db' })).toEqual({
      printers: [
        {
          name: '01P00A123456789',
          host: '192.168.1.50',
          port: 8883,
          ftpPort: 990,
          accessCode: CODE,
          serial: '01P00A123456789',
        },
      ],
      checkIntervalS: 30,
      dbFile: 'data/x.db',
    });
    expect(parseConfig(single).checkIntervalS).toBe(60);
  });

  it('reads ftp_port per printer and from BAMBUZLED_FTP_PORT, and names the key of a bad one', () => {
    expect(parseConfig({ ...single, ftp_port: 2990 }).printers[0]?.ftpPort).toBe(2990);
    expect(parseConfig(single, { BAMBUZLED_FTP_PORT: '1990' }).printers[0]?.ftpPort).toBe(1990);
    expect(() => parseConfig({ ...single, ftp_port: 'ftp' })).toThrow(/"ftp_port" must be a whole number/);
  });

  it('reads a farm under "printers" with per-printer port, CA file and insecure flag', () => {
    const config = parseConfig({
      printers: [
        {
          name: 'a',
          printer_ip: '10.0.0.2',
          port: 1883,
          access_code: CODE,
          serial_number: 'S1',
          ca_file: 'ca.pem',
        },
        { name: 'b', printer_ip: 'p1s.local', access_code: CODE, serial_number: 'S2', insecure: true },
      ],
      schedule: '*/5 * * * *',
      sensor_tags: ['daily'],
    });
    expect(config.printers.map((p) => [p.name, p.host, p.port, p.caFile, p.insecure])).toEqual([
      ['a', '10.0.0.2', 1883, 'ca.pem', undefined],
      ['b', 'p1s.local', 8883, undefined, true],
    ]);
    expect(config).toMatchObject({ schedule: '*/5 * * * *', sensorTags: ['daily'] });
  });

  it('reads the report archive settings from the file or the environment', () => {
    expect(parseConfig({ ...single, archive_dir: 'data/arch', archive_retention_days: 30 })).toMatchObject({
      archiveDir: 'data/arch',
      archiveRetentionDays: 30,
    });
    expect(
      parseConfig(single, { BAMBUZLED_ARCHIVE_RETENTION_DAYS: '0', BAMBUZLED_ARCHIVE_DIR: '/var/arch' }),
    ).toMatchObject({ archiveDir: '/var/arch', archiveRetentionDays: 0 });
    expect(parseConfig(single).archiveRetentionDays).toBeUndefined();
    expect(problem({ ...single, archive_retention_days: -3 }).message).toBe(
      '"archive_retention_days" must be a whole number of days (0 keeps every archived report), e.g. 365.',
    );
  });

  it('returns no printers, not an error, when none is configured', () => {
    expect(parseConfig({}).printers).toEqual([]);
    expect(parseConfig(undefined).printers).toEqual([]);
  });

  it('lets environment variables override each key of the single-printer form', () => {
    const config = parseConfig(single, {
      BAMBUZLED_PRINTER_IP: '10.1.1.1',
      BAMBUZLED_PORT: '9999',
      BAMBUZLED_CHECK_INTERVAL: '5',
      BAMBUZLED_DB: '/tmp/h.db',
      BAMBUZLED_SCHEDULE: '0 * * * *',
      BAMBUZLED_SENSOR_TAGS: 'daily, hourly',
      BAMBUZLED_INSECURE: 'true',
    });
    expect(config.printers[0]).toMatchObject({ host: '10.1.1.1', port: 9999, insecure: true });
    expect(config).toMatchObject({
      checkIntervalS: 5,
      dbFile: '/tmp/h.db',
      schedule: '0 * * * *',
      sensorTags: ['daily', 'hourly'],
    });
    expect(
      parseConfig(
        {},
        { BAMBUZLED_PRINTER_IP: '10.1.1.1', BAMBUZLED_ACCESS_CODE: CODE, BAMBUZLED_SERIAL_NUMBER: 'S' },
      ).printers,
    ).toHaveLength(1);
  });

  it('names the missing serial and where to find it', () => {
    const error = problem({ printer_ip: '192.168.1.50', access_code: CODE });
    expect(error.message).toMatch(/"serial_number" is missing.*Settings > Device/);
  });

  it('refuses a malformed IP address and says what to write', () => {
    for (const ip of ['192.168.1.300', '192.168.1', 'http://192.168.1.5', '192.168.1.5:8883', 'bad host']) {
      expect(problem({ ...single, printer_ip: ip }).message).toMatch(
        /"printer_ip" is not a valid IP address or host name/,
      );
    }
    expect(parseConfig({ ...single, printer_ip: 'fe80::1' }).printers[0]!.host).toBe('fe80::1');
  });

  it('refuses an access code of the wrong length without showing it', () => {
    const error = problem({ ...single, access_code: 'secret-code-123' });
    expect(error.message).toMatch(/"access_code" must be the 8-character LAN access code.*has 15 characters/);
    expect(error.message).not.toContain('secret-code-123');
    expect(problem({ ...single, access_code: 12345678 }).message).not.toContain('12345678');
    const swapped = problem({ ...single, printer_ip: '87654321', access_code: '87654321' });
    expect(swapped.message).toMatch(/"printer_ip" is not a valid/);
    expect(swapped.message).not.toContain('87654321');
  });

  it('suggests the nearest known key for an unknown one', () => {
    expect(problem({ ...single, serial_numbr: 'x' }).message).toMatch(
      /Unknown key "serial_numbr": did you mean "serial_number"\?/,
    );
    expect(problem({ ...single, check_intervall: 5 }).message).toContain('did you mean "check_interval"?');
    expect(problem({ printers: [{ ...single, acces_code: CODE }] }).message).toContain(
      'Unknown key "printers[0].acces_code": did you mean "printers[0].access_code"?',
    );
    expect(problem({ ...single, zzz: 1 }).message).not.toContain('did you mean');
  });

  it('names wrong types', () => {
    expect(problem({ ...single, port: 'eighty' }).message).toMatch(
      /"port" must be a whole number between 1 and 65535/,
    );
    expect(problem({ ...single, check_interval: -1 }).message).toMatch(
      /"check_interval" must be a number of seconds/,
    );
    expect(problem({ ...single, printer_ip: 19216815 }).message).toMatch(/"printer_ip" must be a string/);
    expect(problem({ printers: {} }).message).toMatch(/"printers" must be a list/);
    expect(problem({ ...single, sensor_tags: [1] }).message).toMatch(/"sensor_tags" must be a list/);
    expect(problem({ ...single, schedule: 'every minute' }).message).toMatch(
      /"schedule" is not a valid cron/,
    );
    expect(problem([single]).message).toMatch(/must be a JSON object/);
  });

  it('lists every problem at once', () => {
    const error = problem({ printer_ip: 'x..y', access_code: 'short' });
    expect(error.issues).toHaveLength(3);
    expect(error.message).toMatch(/^The config has 3 problems/);
  });

  it('refuses printers and single-printer keys together, and duplicate printers', () => {
    expect(problem({ ...single, printers: [] }).message).toMatch(
      /Both "printers" and the single-printer key/,
    );
    const twice = {
      printers: [
        { ...single, name: 'a' },
        { ...single, name: 'b' },
      ],
    };
    expect(problem(twice).message).toMatch(/Two printers have the serial_number "01P00A123456789"/);
  });
});

describe('loadConfig', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('says to copy the example when the file is missing', () => {
    dir = mkdtempSync(join(tmpdir(), 'bambuzled-config-'));
    expect(() => loadConfig(join(dir!, 'config.json'), {})).toThrow(/copy ingestion\/config\.example\.json/);
  });

  it('takes the printer from the environment alone when there is no file', () => {
    dir = mkdtempSync(join(tmpdir(), 'bambuzled-config-'));
    const config = loadConfig(join(dir, 'config.json'), {
      BAMBUZLED_PRINTER_IP: '192.168.1.50',
      BAMBUZLED_ACCESS_CODE: CODE,
      BAMBUZLED_SERIAL_NUMBER: '01P00A123456789',
    });
    expect(config.printers).toEqual([
      expect.objectContaining({
        host: '192.168.1.50',
        accessCode: CODE,
        serial: '01P00A123456789',
        port: 8883,
      }),
    ]);
  });

  it('reports invalid JSON by position without quoting the file', () => {
    dir = mkdtempSync(join(tmpdir(), 'bambuzled-config-'));
    const path = join(dir, 'config.json');
    writeFileSync(path, `{\n  "access_code": "${CODE}",\n  "printer_ip": "1.2.3.4",\n}`);
    let message = '';
    try {
      loadConfig(path, {});
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/is not valid JSON/);
    expect(message).not.toContain(CODE);
  });

  it('loads the example config as it is committed', () => {
    const config = loadConfig(new URL('../ingestion/config.example.json', import.meta.url).pathname, {});
    expect(config.printers).toHaveLength(1);
    expect(config.checkIntervalS).toBe(60);
    // The example's sensor settings must work with this repository's project as they are.
    expect(config.sensorTags).toEqual(['bronze']);
    expect(config.schedule?.split(' ')).toHaveLength(6);
  });
});

describe('the config schema', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const example = JSON.parse(
    readFileSync(new URL('../ingestion/config.example.json', import.meta.url), 'utf8'),
  ) as Record<string, unknown>;

  it("is the README's configuration table, row for row", () => {
    const section = readme.split('### Configuration (`ingestion/config.json`)\n\n')[1] ?? '';
    const table = section.slice(0, section.indexOf('\n\n'));
    expect(table).toBe(renderConfigTable(CONFIG_FIELDS));
  });

  it("names every key's environment variable in the example config's comment", () => {
    const variables = CONFIG_FIELDS.flatMap((field) => (field.env ? [field.env] : []));
    const named = String(example._comment).match(/BAMBUZLED_[A-Z_]+/g) ?? [];
    expect([...named].sort()).toEqual([...variables].sort());
  });

  it('reads each key from its environment variable', () => {
    for (const field of CONFIG_FIELDS.filter((f) => f.env !== null && f.scope === 'global')) {
      const values: Record<string, string> = {
        check_interval: '7',
        db_file: 'x.db',
        archive_dir: 'arch',
        archive_retention_days: '3',
        schedule: '0 * * * *',
        sensor_tags: 'a',
      };
      expect(Object.keys(values)).toContain(field.key);
      const config = parseConfig({}, { [field.env!]: values[field.key]! });
      expect(JSON.stringify(config)).toContain(values[field.key] === 'a' ? '["a"]' : values[field.key]);
    }
  });

  it('suggests "printers" for "prnters" and never quotes the access code', () => {
    const error = problem({ prnters: [{ ...single }], access_code: CODE });
    expect(error.message).toContain('Unknown key "prnters": did you mean "printers"?');
    expect(error.message).not.toContain(CODE);
  });
});
