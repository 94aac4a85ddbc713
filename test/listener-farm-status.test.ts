import { describe, expect, it } from 'vitest';
import { formatStatusLine, printerStatus } from '../ingestion/farm-status.js';
import type { ConnectionSnapshot } from '../ingestion/printer-connection.js';

const connection = (over: Partial<ConnectionSnapshot> = {}): ConnectionSnapshot => ({
  connected: true,
  trust: 'tofu',
  fingerprint: 'AB:CD',
  connectedSince: '2026-05-01T10:00:00.000Z',
  lastReportAt: null,
  reports: 10,
  connects: 1,
  lastPushallAt: null,
  lastError: null,
  ...over,
});

describe('a farm status line', () => {
  it('shows the connection, the age of the last report, and the job with its progress', () => {
    const status = printerStatus(
      { name: 'garage', serial: '01P00A1' },
      connection(),
      {
        lastReportAt: '2026-05-01T10:00:07.000Z',
        reports: 10,
        currentJob: { jobKey: 'k', name: 'Benchy', status: 'running', progressPercent: 42 },
        badInput: { 'invalid-json': 2, 'not-an-object': 1 },
      },
      new Date('2026-05-01T10:00:10.000Z'),
    );

    expect(status.lastReportAgeS).toBe(3);
    expect(formatStatusLine(status)).toBe(
      'garage (01P00A1): connected, last report 3 s ago, printing "Benchy" 42 %, 3 bad reports',
    );
  });

  it('says when writes fail and how many reports wait', () => {
    const status = printerStatus(
      { name: 'garage', serial: '01P00A1' },
      connection(),
      {
        lastReportAt: '2026-05-01T10:00:07.000Z',
        reports: 10,
        currentJob: null,
        badInput: {},
        writeFailures: 3,
        writes: {
          failing: true,
          failingSince: '2026-05-01T10:00:01.000Z',
          lastError: 'database or disk is full',
          pending: 6,
          dropped: 0,
        },
      },
      new Date('2026-05-01T10:00:10.000Z'),
    );

    expect(formatStatusLine(status)).toBe(
      'garage (01P00A1): connected, last report 3 s ago, no job, writes failing since 2026-05-01T10:00:01.000Z (database or disk is full): 6 report(s) waiting, 0 dropped',
    );
  });

  it('says why a printer is disconnected and that nothing was heard yet', () => {
    const status = printerStatus(
      { name: 'attic', serial: 'S2' },
      connection({ connected: false, lastError: 'not authorized' }),
      { lastReportAt: null, reports: 0, currentJob: null, badInput: {} },
      new Date('2026-05-01T10:00:10.000Z'),
    );

    expect(formatStatusLine(status)).toBe('attic (S2): disconnected (not authorized), no report yet, no job');
  });

  it('gives long silences in minutes and hours', () => {
    const at = (ageS: number) =>
      formatStatusLine(
        printerStatus(
          { name: 'p', serial: 's' },
          connection(),
          {
            lastReportAt: new Date(Date.parse('2026-05-01T12:00:00Z') - ageS * 1000).toISOString(),
            reports: 1,
            currentJob: { jobKey: 'k', name: null, status: 'paused', progressPercent: null },
            badInput: {},
          },
          new Date('2026-05-01T12:00:00Z'),
        ),
      );
    expect(at(600)).toContain('last report 10 min ago, paused "k"');
    expect(at(3 * 3600)).toContain('last report 3 h ago');
  });
});
