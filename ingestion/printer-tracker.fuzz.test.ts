import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JOB_STATUSES } from './raw-schema.js';
import { type TrackerHarness, trackerHarness } from './tracker-harness.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Every invariant the raw layer must keep whatever the printer sends. */
function expectValidRawLayer(h: TrackerHarness): void {
  expect(h.tracker.status().badInput['internal-error']).toBeUndefined();
  const jobs = h.jobs();
  const events = h.events();
  const open = jobs.filter((job) => job.status === 'running' || job.status === 'paused');
  expect(open.length).toBeLessThanOrEqual(1);
  for (const job of jobs) {
    expect(JOB_STATUSES).toContain(job.status);
    expect(job.started_at).toMatch(ISO);
    const ended = job.status !== 'running' && job.status !== 'paused';
    expect(job.ended_at === null).toBe(!ended);
    if (job.ended_at !== null) {
      expect(job.ended_at).toMatch(ISO);
      expect(String(job.ended_at) >= String(job.started_at)).toBe(true);
    }
    const own = events.filter((event) => event.job_key === job.job_key);
    expect(own[0]?.event).toBe('started');
    expect(job.change_seq).toBe(Math.max(...own.map((event) => Number(event.seq))));
    expect(own.at(-1)?.to_status).toBe(job.status);
    if (job.progress_percent !== null) expect(job.progress_percent).toBeGreaterThanOrEqual(0);
    if (job.progress_percent !== null) expect(job.progress_percent).toBeLessThanOrEqual(100);
    if (job.print_error_hex !== null) expect(job.print_error_hex).toMatch(/^[0-9A-F]{4}_[0-9A-F]{4}$/);
    expect(typeof job.last_report_json).toBe('string');
    if (job.ended_at !== null) {
      // Honest durations: the phases of an ended job add up to exactly its start-to-end time.
      const phases = Number(job.preparing_ms) + Number(job.printing_ms) + Number(job.paused_ms);
      expect(job.phase).toBeNull();
      expect(phases).toBe(Date.parse(String(job.ended_at)) - Date.parse(String(job.started_at)));
    }
  }
}

const gcodeState = fc.constantFrom(
  'IDLE',
  'PREPARE',
  'SLICING',
  'RUNNING',
  'PAUSE',
  'FINISH',
  'FAILED',
  'INIT',
  'bogus',
);
const id = fc.oneof(fc.constantFrom('0', '', '465293773', '6456'), fc.string({ maxLength: 6 }), fc.integer());
const name = fc.oneof(
  fc.constantFrom('Benchy', '', 'Benchy', 'O\'Brien "x" 🐢'),
  fc.string({ maxLength: 12 }),
);
const anyValue = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);
const tray = fc.record(
  {
    id: fc.constantFrom('0', '1', '2', '3', 3, 'x'),
    tray_type: fc.oneof(fc.constantFrom('PLA', 'PETG'), anyValue),
    tray_color: anyValue,
  },
  { requiredKeys: ['id'] },
);
const ams = fc.record(
  {
    tray_now: fc.oneof(fc.constantFrom('0', '3', '254', '255', '130'), anyValue),
    ams: fc.array(
      fc.record({ id: fc.constantFrom('0', '1', '128'), tray: fc.array(tray, { maxLength: 4 }) }),
      { maxLength: 2 },
    ),
  },
  { requiredKeys: [] },
);

/** Deltas that look like a printer's, with wrong types and nonsense mixed in. */
const delta = fc.record(
  {
    gcode_state: fc.oneof(gcodeState, anyValue),
    subtask_name: name,
    gcode_file: fc.oneof(name, fc.constantFrom('/usr/etc/print/auto_cali_for_user.gcode', 'a.gcode.3mf')),
    print_type: fc.constantFrom('local', 'cloud', 'idle', 'system', ''),
    task_id: id,
    subtask_id: id,
    job_id: id,
    mc_percent: fc.oneof(fc.integer({ min: -5, max: 120 }), anyValue),
    layer_num: fc.oneof(fc.nat(500), anyValue),
    total_layer_num: fc.oneof(fc.nat(500), anyValue),
    print_error: fc.oneof(fc.constantFrom(0, 50348044, 83902478, 50364437, -1), anyValue),
    msg: fc.constantFrom(0, 1, 2, 'x'),
    ams: fc.oneof(ams, anyValue),
    extra: fc.jsonValue({ maxDepth: 3 }),
  },
  { requiredKeys: [] },
);

/** Deltas a printer really sends: mostly valid states and names, so that many jobs start and end. */
const plausible = fc.record(
  {
    gcode_state: fc.constantFrom('IDLE', 'PREPARE', 'RUNNING', 'RUNNING', 'PAUSE', 'FINISH', 'FAILED'),
    subtask_name: fc.constantFrom('Benchy', 'Benchy', 'Clip', ''),
    task_id: fc.constantFrom('0', '', '6456'),
    mc_percent: fc.nat(100),
    layer_num: fc.nat(300),
    print_error: fc.constantFrom(0, 0, 50348044, 50364437),
    msg: fc.constantFrom(0, 1, 1, 1),
  },
  { requiredKeys: ['gcode_state'] },
);

type Action =
  | { kind: 'delta'; print: unknown; advanceMs: number }
  | { kind: 'raw'; payload: Uint8Array | string }
  | { kind: 'connected' }
  | { kind: 'restart' };

const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant('delta' as const), print: delta, advanceMs: fc.nat(120_000) }),
  },
  {
    weight: 20,
    arbitrary: fc.record({
      kind: fc.constant('delta' as const),
      print: plausible,
      advanceMs: fc.nat(20_000),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('raw' as const),
      payload: fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.string(), fc.json()),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('raw' as const),
      payload: fc.jsonValue().map((v) => JSON.stringify({ print: v })),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'connected' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
);

describe('PrinterTracker under fuzzing', () => {
  it('never throws on arbitrary bytes, text or JSON, and writes nothing from them', () => {
    const h = trackerHarness();
    try {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.uint8Array({ maxLength: 256 }),
            fc.string(),
            fc.json(),
            fc.jsonValue().map((v) => JSON.stringify(v)),
          ),
          (payload) => {
            h.sendRaw(typeof payload === 'string' ? payload : Buffer.from(payload));
          },
        ),
        { numRuns: 500 },
      );
      expect(h.jobs()).toHaveLength(0);
      expectValidRawLayer(h);
    } finally {
      h.close();
    }
  });

  it('keeps the raw layer valid through arbitrary sequences of deltas, reconnects and restarts', () => {
    fc.assert(
      fc.property(fc.array(action, { minLength: 5, maxLength: 60 }), (actions) => {
        const h = trackerHarness({ checkIntervalS: 30 });
        try {
          for (const step of actions) {
            if (step.kind === 'delta') h.send(step.print, step.advanceMs);
            else if (step.kind === 'raw')
              h.sendRaw(typeof step.payload === 'string' ? step.payload : Buffer.from(step.payload));
            else if (step.kind === 'connected') h.tracker.connected();
            else h.restart();
          }
          expectValidRawLayer(h);
        } finally {
          h.close();
        }
      }),
      { numRuns: 100 },
    );
  });
});
