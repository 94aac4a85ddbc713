import { afterEach, describe, expect, it } from 'vitest';
import { startListener } from '../ingestion/listener.js';
import { migrateRawSchema } from '../ingestion/raw-schema.js';
import { recordingLogger } from '../lib/logger.js';
import { openDatabase } from '../lib/sqlite.js';
import { startSimulatedFarm } from '../simulator/simulated-farm.js';
import { until } from './helpers/until.js';

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

describe('a farm connecting through the pacer', () => {
  it('connects and pins every printer of a farm built three printers a turn, when only two handshakes may run at once', async () => {
    const farm = await startSimulatedFarm({
      printers: Array.from({ length: 7 }, (_, i) => ({
        serial: `01P00A0000007${i}0`,
        accessCode: `P4c3d00${i}`,
      })),
    });
    cleanup.push(() => farm.close());
    const db = openDatabase(':memory:');
    migrateRawSchema(db);
    cleanup.push(() => {
      db.close();
    });
    const logger = recordingLogger();
    const listener = startListener({
      config: farm.config,
      db,
      logger,
      jobFiles: { enabled: false },
      connectPacing: { maxInFlight: 2, perTick: 1 },
      membersPerTurn: 3,
    });
    cleanup.push(() => listener.close());
    // Every printer is listed from the start, the ones not built yet as not connected.
    expect(listener.status().map((s) => [s.serial, s.connected])).toEqual(
      farm.config.printers.map((p) => [p.serial, false]),
    );
    const listenerLogins = () =>
      farm.broker.logins.filter((login) => login.clientId.startsWith('bambuzled_'));
    await until(() => listener.status().every((s) => s.connected && s.reports > 0));

    expect(listenerLogins().filter((login) => login.accepted)).toHaveLength(7);
    const pinned = db
      .prepare('SELECT COUNT(*) FROM printers_raw WHERE cert_fingerprint IS NOT NULL')
      .pluck()
      .get();
    expect(pinned).toBe(7);
    expect(logger.lines.join('\n')).not.toMatch(/P4c3d00\d/);
  });
});
