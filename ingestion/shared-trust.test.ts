import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { recordingLogger } from '../lib/logger.js';
import { openDatabase } from '../lib/sqlite.js';
import { generateBrokerCertificate } from '../simulator/embedded-broker.js';
import { migrateRawSchema } from './raw-schema.js';
import { createTrustPolicy, SharedTrust, TrustConfigError } from './trust.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('the trust a farm shares', () => {
  it('builds one TLS context per ca_file and one for every printer trusted on first use', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bambuzled-shared-trust-'));
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, (await generateBrokerCertificate(['S1'])).certPem);
    const db = openDatabase(':memory:');
    migrateRawSchema(db);
    const shared = new SharedTrust(db);
    const logger = recordingLogger();
    const policy = (serial: string, withCa: boolean) =>
      createTrustPolicy({
        printer: { name: serial, serial, ...(withCa ? { caFile } : {}) },
        db,
        logger,
        shared,
      });
    const [a, b, c, d] = [policy('S1', true), policy('S2', true), policy('S3', false), policy('S4', false)];
    expect(a.tlsOptions.secureContext).toBeDefined();
    expect(b.tlsOptions.secureContext).toBe(a.tlsOptions.secureContext);
    expect(d.tlsOptions.secureContext).toBe(c.tlsOptions.secureContext);
    expect(c.tlsOptions.secureContext).not.toBe(a.tlsOptions.secureContext);
    db.close();
  });

  it('still refuses at start a ca_file it cannot read, naming the file', () => {
    const db = openDatabase(':memory:');
    migrateRawSchema(db);
    expect(() =>
      createTrustPolicy({
        printer: { name: 'p', serial: 'S1', caFile: '/nonexistent/ca.pem' },
        db,
        logger: recordingLogger(),
        shared: new SharedTrust(db),
      }),
    ).toThrow(TrustConfigError);
    db.close();
  });
});
