import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import nodeCron from 'node-cron';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import * as adapterFunctions from '../adapter/index.js';
import { compileProject, EngineError, openEngine, type RunSummary } from '../adapter/index.js';
import { migrateRawSchema } from '../ingestion/raw-schema.js';
import { recordingLogger } from '../lib/logger.js';
import { openDatabase, type SqliteDatabase } from '../lib/sqlite.js';
import type { Timers } from '../scheduler/change-watcher.js';
import { RunLockLostError, SchedulerBusyError, SchedulerConfigError } from '../scheduler/errors.js';
import { type Cron, createScheduler, type Scheduler, type SchedulerOptions } from '../scheduler/scheduler.js';
import type { TickRecord } from '../scheduler/sensor-store.js';
import { RawLayerWriter, writeSensorProject, writeSlowAction } from './helpers/sensor-sandbox.js';

let projectDir: string;
/** The sensor project plus an action downstream of jobs_brz that runs until it is cancelled. */
let slowProjectDir: string;
let dir: string;
let dbPath: string;
let db: SqliteDatabase;
let clockMs: number;
let writer: RawLayerWriter;
let hand: ReturnType<typeof handTimers>;
const schedulers: Scheduler[] = [];
const extraConnections: SqliteDatabase[] = [];
const now = () => new Date(clockMs);

beforeAll(async () => {
  projectDir = writeSensorProject(mkdtempSync(join(tmpdir(), 'sched-project-')));
  // Compile once so that every evaluation below reads the graph from the adapter's cache.
  const compiled = await compileProject({ projectDir });
  expect(compiled.ok, compiled.ok ? '' : compiled.message).toBe(true);
  slowProjectDir = writeSlowAction(writeSensorProject(mkdtempSync(join(tmpdir(), 'sched-slow-project-'))));
  const slow = await compileProject({ projectDir: slowProjectDir });
  expect(slow.ok, slow.ok ? '' : slow.message).toBe(true);
});

afterAll(() => {
  rmSync(projectDir, { recursive: true, force: true });
  rmSync(slowProjectDir, { recursive: true, force: true });
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sched-db-'));
  dbPath = join(dir, 'history.db');
  db = openDatabase(dbPath);
  migrateRawSchema(db);
  clockMs = Date.parse('2026-11-27T10:00:00.000Z');
  hand = handTimers();
  writer = new RawLayerWriter(db, () => {
    clockMs += 1000;
    return now();
  });
});

afterEach(async () => {
  // close() also ends the scheduler's two connection processes.
  for (const scheduler of schedulers.splice(0)) await scheduler.close();
  for (const connection of extraConnections.splice(0)) connection.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A cron that never fires by itself: the test fires it. */
function handCron() {
  const callbacks: (() => void)[] = [];
  const cron: Cron = {
    schedule: (_expression, onTick) => {
      callbacks.push(onTick);
      return { stop: () => void callbacks.splice(0), getNextRun: () => new Date(clockMs + 30_000) };
    },
    validate: () => true,
  };
  return {
    cron,
    fire: () => {
      for (const callback of callbacks) callback();
    },
  };
}

/** Interval timers that run only when the test says; runIntervals waits for what they started. */
function handTimers() {
  const intervals = new Map<number, () => unknown>();
  let next = 1;
  const timers: Timers = {
    setInterval: (callback) => {
      intervals.set(next, callback);
      return next++;
    },
    clearInterval: (handle) => void intervals.delete(handle as number),
    setTimeout: (callback) => setTimeout(callback, 0),
    clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  };
  return {
    timers,
    runIntervals: async () => {
      await Promise.all([...intervals.values()].map((callback) => callback()));
    },
  };
}

function makeScheduler(overrides: Partial<SchedulerOptions> = {}): Scheduler {
  const scheduler = createScheduler({
    engine: openEngine(dbPath),
    projectDir,
    now,
    cron: handCron().cron,
    timers: hand.timers,
    ...overrides,
  });
  schedulers.push(scheduler);
  return scheduler;
}

/** The run history as the scheduler's status page reads it. */
async function listRuns(scheduler: Scheduler, limit = 50): Promise<RunSummary[]> {
  return (await scheduler.history()).listRuns({ limit });
}

function bronzeJobIds(connection: SqliteDatabase = db): string[] {
  return (
    connection.prepare('SELECT job_id FROM jobs_brz ORDER BY job_id').all() as { job_id: string }[]
  ).map((row) => row.job_id);
}

describe('the sensor', () => {
  it('skips a tick and says why when no job has ended', async () => {
    const seq = writer.start('P1S-A', 'a-1');
    const scheduler = makeScheduler();
    const tick = await scheduler.tick('cron');
    expect(tick.decision).toBe('SKIPPED');
    expect(tick.reason).toContain(`no job ended since change 0`);
    expect(tick.cursorAfter).toBe(seq);
    expect(await listRuns(scheduler)).toEqual([]);
  });

  it('runs the graph when a job ends and commits the cursor with the run', async () => {
    writer.start('P1S-A', 'a-1');
    const endSeq = writer.end('a-1');
    const scheduler = makeScheduler();
    const tick = await scheduler.tick('cron');
    expect(tick.decision, tick.reason).toBe('REQUESTED');
    expect(tick.cursorAfter).toBe(endSeq);
    expect(bronzeJobIds()).toEqual(['a-1']);
    const [run] = await listRuns(scheduler);
    expect(run?.runId).toBe(tick.runId);
    expect(run?.trigger).toBe('sensor');
    expect((await scheduler.status()).cursor).toBe(endSeq);
    expect((await scheduler.tick('cron')).decision).toBe('SKIPPED');
  });

  it('picks up the job of a second printer that started earlier but finished later', async () => {
    writer.start('P1S-A', 'early');
    writer.start('X1C-B', 'late');
    writer.end('late');
    const scheduler = makeScheduler();
    expect((await scheduler.tick('cron')).decision).toBe('REQUESTED');
    expect(bronzeJobIds()).toEqual(['late']);
    writer.end('early');
    const second = await scheduler.tick('cron');
    expect(second.decision, second.reason).toBe('REQUESTED');
    expect(second.reason).toContain('P1S-A/early finished');
    expect(bronzeJobIds()).toEqual(['early', 'late']);
  });

  it('catches up after downtime with one run, not one per missed tick', async () => {
    for (let i = 1; i <= 5; i++) {
      writer.start(i % 2 ? 'P1S-A' : 'X1C-B', `job-${i}`);
      writer.end(`job-${i}`);
    }
    const scheduler = makeScheduler();
    const tick = await scheduler.tick('start');
    expect(tick.decision).toBe('REQUESTED');
    expect(tick.reason).toMatch(/^5 jobs ended/);
    expect(await listRuns(scheduler)).toHaveLength(1);
    expect(bronzeJobIds()).toHaveLength(5);
  });

  it('runs again when the process dies between the run and the cursor commit', async () => {
    writer.start('P1S-A', 'a-1');
    const endSeq = writer.end('a-1');
    const scheduler = makeScheduler();
    await scheduler.open();
    // A failing write inside the recording transaction stands for a crash at that point. The
    // trigger is in the file (not TEMP), so that the scheduler's own connection meets it.
    db.exec(`CREATE TRIGGER crash_on_commit BEFORE UPDATE OF cursor ON _bambuzled_sensor_state
             BEGIN SELECT RAISE(ABORT, 'simulated crash before commit'); END`);
    const crashed = await scheduler.tick('cron');
    expect(crashed.decision).toBe('FAILED');
    expect(crashed.reason).toContain('simulated crash before commit');
    expect(crashed.cursorAfter).toBe(0);
    // The history is a log: the run was recorded as it started, and its end never committed.
    expect((await listRuns(scheduler)).map((run) => run.status)).toEqual(['INTERRUPTED']);
    db.exec('DROP TRIGGER crash_on_commit');
    const rerun = await scheduler.tick('cron');
    expect(rerun.decision, rerun.reason).toBe('REQUESTED');
    expect(rerun.cursorAfter).toBe(endSeq);
    expect(bronzeJobIds()).toEqual(['a-1']);
  });

  it('keeps the cursor behind a failing run and retries on the next tick', async () => {
    writer.start('P1S-A', 'fine-1');
    writer.end('fine-1');
    writer.start('X1C-B', 'bad-1', 'poison');
    const endSeq = writer.end('bad-1');
    const scheduler = makeScheduler();
    const failed = await scheduler.tick('cron');
    expect(failed.decision).toBe('FAILED');
    expect(failed.runId).toBeGreaterThan(0);
    expect(failed.reason).toContain('no_poison_jobs');
    expect(failed.cursorAfter).toBe(0);
    const retried = await scheduler.tick('cron');
    expect(retried.decision).toBe('FAILED');
    expect(retried.runId).toBeGreaterThan(failed.runId ?? 0);
    db.prepare(`UPDATE jobs_raw SET subtask_name = 'fixed' WHERE job_key = 'bad-1'`).run();
    const fixed = await scheduler.tick('cron');
    expect(fixed.decision, fixed.reason).toBe('REQUESTED');
    expect(fixed.cursorAfter).toBe(endSeq);
    expect((await listRuns(scheduler)).map((run) => run.status)).toEqual(['SUCCESSFUL', 'FAILED', 'FAILED']);
  });

  it('records a schedule tick that arrives during a run as skipped', async () => {
    writer.start('P1S-A', 'a-1');
    writer.end('a-1');
    const scheduler = makeScheduler();
    const running = scheduler.tick('start');
    const during = await scheduler.tick('cron');
    expect(during.decision).toBe('SKIPPED');
    expect(during.reason).toBe('a sensor run is in progress');
    expect((await running).decision).toBe('REQUESTED');
  });

  it('never lets two schedulers on one file run at the same time', async () => {
    writer.start('P1S-A', 'a-1');
    writer.end('a-1');
    const second = makeScheduler({ engine: openEngine(dbPath) });
    let during: Promise<TickRecord> | undefined;
    // The second one ticks while the first holds the run lock (it compiles with the lock held).
    const first = makeScheduler({
      adapter: {
        ...adapterFunctions,
        compileProject: async (options) => {
          during ??= second.tick('cron');
          await during;
          return adapterFunctions.compileProject(options);
        },
      },
    });
    await Promise.all([first.open(), second.open()]);
    const a = await first.tick('cron');
    const b = await (during as Promise<TickRecord>);
    expect([a.decision, b.decision]).toEqual(['REQUESTED', 'SKIPPED']);
    expect(b.reason).toMatch(/^a run is in progress: sensor run \(cron\)/);
    // Once the first has finished, the second finds nothing left to do.
    const after = await second.tick('cron');
    expect(after.decision).toBe('SKIPPED');
    expect(after.reason).toContain('no job ended since change 2');
    expect(await listRuns(first)).toHaveLength(1);
  });

  it('takes over the run lock of a holder whose process has died', async () => {
    writer.start('P1S-A', 'a-1');
    writer.end('a-1');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const deadPid = Number(dead.stdout.toString());
    const scheduler = makeScheduler({ logger: recordingLogger() });
    await scheduler.open();
    db.prepare(
      `INSERT INTO _bambuzled_locks (name, owner, pid, hostname, purpose, acquired_at, heartbeat_at, expires_at_ms)
       VALUES ('graph-run', 'crashed-owner', ?, ?, 'sensor run (cron)', 'x', 'x', ?)`,
    ).run(deadPid, hostname(), clockMs + 3_600_000);
    const tick = await scheduler.tick('cron');
    expect(tick.decision, tick.reason).toBe('REQUESTED');
  });

  it('waits for a live holder on another host until its lease expires', async () => {
    writer.start('P1S-A', 'a-1');
    writer.end('a-1');
    const scheduler = makeScheduler({ lockTtlMs: 60_000 });
    await scheduler.open();
    db.prepare(
      `INSERT INTO _bambuzled_locks (name, owner, pid, hostname, purpose, acquired_at, heartbeat_at, expires_at_ms)
       VALUES ('graph-run', 'elsewhere', 4242, 'another-host', 'manual run', 'x', 'x', ?)`,
    ).run(clockMs + 60_000);
    const blocked = await scheduler.tick('cron');
    expect(blocked.decision).toBe('SKIPPED');
    expect(blocked.reason).toContain('pid 4242 on another-host');
    clockMs += 61_000;
    expect((await scheduler.tick('cron')).decision).toBe('REQUESTED');
  });

  it('wakes on the schedule and on wake(), and stops when told', async () => {
    const cron = handCron();
    const scheduler = makeScheduler({ cron: cron.cron });
    scheduler.start();
    await scheduler.idle();
    expect((await scheduler.status()).state).toBe('RUNNING');
    expect((await scheduler.ticks(1))[0]?.wokenBy).toBe('start');
    writer.start('P1S-A', 'a-1');
    writer.end('a-1');
    scheduler.wake('job-ended');
    await scheduler.idle();
    const woken = (await scheduler.ticks(1))[0];
    expect(woken?.wokenBy).toBe('wake (job-ended)');
    expect(woken?.decision).toBe('REQUESTED');
    cron.fire();
    await scheduler.idle();
    expect((await scheduler.ticks(1))[0]?.wokenBy).toBe('cron');
    expect((await scheduler.status()).nextTickAt).toBe(new Date(clockMs + 30_000).toISOString());
    await scheduler.stop();
    expect((await scheduler.status()).state).toBe('STOPPED');
    scheduler.wake('ignored');
    await scheduler.idle();
    expect((await scheduler.ticks(1))[0]?.wokenBy).toBe('cron');
  });

  it('notices a job ended through another connection on its next look at the change feed', async () => {
    const scheduler = makeScheduler();
    scheduler.start();
    await scheduler.idle();
    const listener = openDatabase(dbPath);
    extraConnections.push(listener);
    const remote = new RawLayerWriter(listener, now);
    remote.start('P1S-A', 'remote-1');
    await hand.runIntervals();
    await scheduler.idle();
    expect((await scheduler.ticks(1))[0]?.wokenBy).toBe('start');
    remote.end('remote-1');
    await hand.runIntervals();
    await scheduler.idle();
    const tick = (await scheduler.ticks(1))[0];
    expect(tick?.wokenBy).toBe('wake (poll)');
    expect(tick?.decision).toBe('REQUESTED');
    expect(bronzeJobIds()).toEqual(['remote-1']);
  });

  it('wakes when the run lock it was refused is released, though no job ended meanwhile', async () => {
    writer.start('P1S-A', 'a-1');
    writer.end('a-1');
    const scheduler = makeScheduler();
    await scheduler.open();
    db.prepare(
      `INSERT INTO _bambuzled_locks (name, owner, pid, hostname, purpose, acquired_at, heartbeat_at, expires_at_ms)
       VALUES ('graph-run', 'elsewhere', 4242, 'another-host', 'manual run', 'x', 'x', ?)`,
    ).run(clockMs + 60_000);
    scheduler.start();
    await scheduler.idle();
    expect((await scheduler.ticks(1))[0]?.decision).toBe('SKIPPED');
    await hand.runIntervals();
    await scheduler.idle();
    expect((await scheduler.ticks(1))[0]?.wokenBy).toBe('start');
    db.prepare(`DELETE FROM _bambuzled_locks WHERE owner = 'elsewhere'`).run();
    await hand.runIntervals();
    await scheduler.idle();
    const tick = (await scheduler.ticks(1))[0];
    expect(tick?.wokenBy).toBe('wake (run lock released)');
    expect(tick?.decision, tick?.reason).toBe('REQUESTED');
  });

  it('runs a manual selection without moving the cursor', async () => {
    writer.start('P1S-A', 'a-1');
    writer.end('a-1');
    const scheduler = makeScheduler();
    const run = await scheduler.runNow({ actions: ['jobs_brz'] });
    expect(run.status).toBe('SUCCESSFUL');
    expect(run.trigger).toBe('manual');
    expect(run.actions.map((action) => action.name)).toEqual(['main.jobs_brz']);
    expect((await scheduler.status()).cursor).toBe(0);
    expect((await scheduler.status()).pendingEndedJobs).toBe(1);
  });

  it('handles every ended job again after a cursor reset', async () => {
    writer.start('P1S-A', 'a-1');
    writer.end('a-1');
    const scheduler = makeScheduler();
    expect((await scheduler.tick('cron')).decision).toBe('REQUESTED');
    expect(await scheduler.resetCursor()).toEqual({ before: 2, after: 0 });
    const again = await scheduler.tick('cron');
    expect(again.decision).toBe('REQUESTED');
    expect(again.cursorBefore).toBe(0);
    expect(bronzeJobIds()).toEqual(['a-1']);
  });

  it('keeps only the newest ticks and runs', async () => {
    const scheduler = makeScheduler({ keepTicks: 3, keepRuns: 2 });
    for (let i = 1; i <= 3; i++) {
      writer.start('P1S-A', `job-${i}`);
      writer.end(`job-${i}`);
      expect((await scheduler.tick('cron')).decision).toBe('REQUESTED');
      await scheduler.tick('cron');
    }
    expect(await scheduler.ticks(100)).toHaveLength(3);
    expect(await listRuns(scheduler)).toHaveLength(2);
  });

  it('refuses a schedule that is not a cron expression', () => {
    expect(() =>
      createScheduler({ engine: openEngine(dbPath), projectDir, schedule: 'every minute' }),
    ).toThrow(SchedulerConfigError);
  });

  it('lets a run in flight finish when stopped with cancelRun: false (the page pausing the sensor)', async () => {
    writer.start('P1S-A', 'a-1');
    writer.end('a-1');
    const scheduler = makeScheduler();
    scheduler.start();
    await scheduler.stop({ cancelRun: false });
    const [last] = await scheduler.ticks(1);
    expect(last?.wokenBy).toBe('start');
    expect(last?.decision).toBe('REQUESTED');
    expect(bronzeJobIds()).toEqual(['a-1']);
    expect((await scheduler.status()).state).toBe('STOPPED');
  });

  it('cancels a sensor run in flight on cancel(), keeping what finished and the cursor', async () => {
    writer.start('P1S-A', 'a-1');
    writer.end('a-1');
    const slowStarted = deferred();
    const scheduler = makeScheduler({ projectDir: slowProjectDir, adapter: announcing(slowStarted.resolve) });
    const tick = scheduler.tick('cron');
    await slowStarted.promise;
    expect((await scheduler.status()).cancellable).toBe(true);
    const [running] = await listRuns(scheduler);
    expect(running?.status).toBe('RUNNING');
    expect(await scheduler.cancel('cancelled from the test')).toBe(true);
    const cancelled = await tick;
    expect(cancelled.decision).toBe('FAILED');
    expect(cancelled.reason).toContain('was cancelled (Run cancelled: cancelled from the test.)');
    expect(cancelled.reason).toContain('the next tick runs again');
    expect(cancelled.cursorAfter).toBe(0);
    const run = await (await scheduler.history()).getRun(cancelled.runId ?? 0);
    expect(run?.status).toBe('CANCELLED');
    expect(run?.actions.map((action) => [action.name, action.status])).toEqual([
      ['main.jobs_brz', 'SUCCESSFUL'],
      ['main.slow_brz', 'CANCELLED'],
      ['assertions.no_poison_jobs', 'SKIPPED'],
    ]);
    // What finished before stays.
    expect(bronzeJobIds()).toEqual(['a-1']);
    expect((await scheduler.status()).cursor).toBe(0);
    expect(await scheduler.cancel()).toBe(false);
  });

  it('cancels the run in flight when stopped, instead of waiting for it to finish', async () => {
    writer.start('P1S-A', 'a-1');
    writer.end('a-1');
    const slowStarted = deferred();
    const scheduler = makeScheduler({ projectDir: slowProjectDir, adapter: announcing(slowStarted.resolve) });
    scheduler.start();
    await slowStarted.promise;
    await scheduler.stop();
    const [last] = await scheduler.ticks(1);
    expect(last?.wokenBy).toBe('start');
    expect(last?.reason).toContain('Run cancelled: the scheduler is stopping.');
    expect((await listRuns(scheduler)).map((run) => run.status)).toEqual(['CANCELLED']);
    expect((await scheduler.status()).state).toBe('STOPPED');
  });

  it('refuses a manual run while another host keeps the run lock', async () => {
    const scheduler = makeScheduler({ lockWaitMs: 0 });
    await scheduler.open();
    db.prepare(
      `INSERT INTO _bambuzled_locks (name, owner, pid, hostname, purpose, acquired_at, heartbeat_at, expires_at_ms)
       VALUES ('graph-run', 'elsewhere', 4242, 'another-host', 'sensor run (cron)', 'x', 'x', ?)`,
    ).run(clockMs + 60_000);
    await expect(scheduler.runNow()).rejects.toThrow(SchedulerBusyError);
    expect(await listRuns(scheduler)).toEqual([]);
  });

  it('ticks on a real node-cron schedule, its clock and timers faked', async () => {
    // node-cron itself, not a stand-in, but on vitest's fake clock: the second passes when the test says.
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'Date'],
      now: Date.parse('2026-11-27T10:00:00.200Z'),
    });
    try {
      const scheduler = makeScheduler({ cron: undefined, now: () => new Date(), schedule: '* * * * * *' });
      scheduler.start();
      expect((await scheduler.status()).nextTickAt).toBe('2026-11-27T10:00:01.000Z');
      const cronTicks = async () => (await scheduler.ticks(10)).filter((tick) => tick.wokenBy === 'cron');
      await scheduler.idle();
      expect(await cronTicks()).toEqual([]);
      await vi.advanceTimersByTimeAsync(1_000);
      await scheduler.idle();
      await scheduler.stop();
      expect(await cronTicks()).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('retries soon after a run that lost the race for the write lock', async () => {
    writer.start('P1S-A', 'a-1');
    writer.end('a-1');
    let attempts = 0;
    // The retry is a timer the test fires, so the second tick starts when the test says, not after a sleep.
    const pending = new Map<number, () => void>();
    let next = 1;
    const scheduler = makeScheduler({
      timers: {
        ...hand.timers,
        setTimeout: (callback) => {
          pending.set(next, callback);
          return next++;
        },
        clearTimeout: (handle) => void pending.delete(handle as number),
      },
      adapter: {
        ...adapterFunctions,
        // What the engine reports when another connection kept the write lock past the busy timeout.
        runGraph: (graph, options) => {
          attempts++;
          if (attempts === 1) return Promise.reject(new EngineError('busy', 'The database stayed locked.'));
          return adapterFunctions.runGraph(graph, options);
        },
      },
    });
    scheduler.start();
    await scheduler.idle();
    expect(pending.size).toBe(1);
    const retrySoon = [...pending.values()];
    pending.clear();
    for (const callback of retrySoon) callback();
    await scheduler.idle();
    expect(attempts).toBe(2);
    const [retry, failed] = await scheduler.ticks(2);
    expect(failed?.decision).toBe('FAILED');
    expect(retry?.wokenBy).toBe('wake (retry after a busy database)');
    expect(retry?.decision).toBe('REQUESTED');
  });

  it('does not retry at once after a failure that only mentions a lock in its message', async () => {
    writer.start('P1S-A', 'a-1');
    writer.end('a-1');
    const pending = new Map<number, () => void>();
    let next = 1;
    const timers: Timers = {
      ...hand.timers,
      setTimeout: (callback) => {
        pending.set(next, callback);
        return next++;
      },
      clearTimeout: (handle) => void pending.delete(handle as number),
    };
    const scheduler = makeScheduler({
      timers,
      adapter: {
        ...adapterFunctions,
        runGraph: () => Promise.reject(new EngineError('sql', 'no such table: database_is_locked')),
      },
    });
    scheduler.start();
    await scheduler.idle();
    expect((await scheduler.ticks(1))[0]?.decision).toBe('FAILED');
    expect(pending.size).toBe(0);
  });

  it("leaves nothing in node-cron's registry once stopped, however often it restarts", async () => {
    const before = nodeCron.getTasks().size;
    const scheduler = makeScheduler({ cron: undefined, schedule: '0 0 * * * *' });
    for (let round = 0; round < 3; round++) {
      scheduler.start();
      expect(nodeCron.getTasks().size).toBe(before + 1);
      await scheduler.stop();
      expect(nodeCron.getTasks().size).toBe(before);
    }
  });

  it('cancels a pending retry after a busy database when stopped', async () => {
    writer.start('P1S-A', 'a-1');
    writer.end('a-1');
    const pending = new Map<number, () => void>();
    let next = 1;
    const timers: Timers = {
      ...hand.timers,
      setTimeout: (callback) => {
        pending.set(next, callback);
        return next++;
      },
      clearTimeout: (handle) => void pending.delete(handle as number),
    };
    const scheduler = makeScheduler({
      timers,
      adapter: {
        ...adapterFunctions,
        runGraph: () => Promise.reject(new EngineError('busy', 'The database stayed locked.')),
      },
    });
    scheduler.start();
    await scheduler.idle();
    expect((await scheduler.ticks(1))[0]?.decision).toBe('FAILED');
    expect(pending.size).toBe(1);
    await scheduler.stop();
    expect(pending.size).toBe(0);
  });

  it('renews the run lock to ten minutes past each heartbeat while a run is in flight', async () => {
    writer.start('P1S-A', 'a-1');
    writer.end('a-1');
    const leases: number[] = [];
    const lease = () =>
      (
        db.prepare(`SELECT expires_at_ms AS at FROM _bambuzled_locks WHERE name = 'graph-run'`).get() as {
          at: number;
        }
      ).at - clockMs;
    const scheduler = makeScheduler({
      adapter: {
        ...adapterFunctions,
        runGraph: (graph, options) =>
          adapterFunctions.runGraph(graph, {
            ...options,
            onActionEnd: async (action) => {
              await options.onActionEnd?.(action);
              // Time passes in a long action; the lease timer fires and renews from "now".
              clockMs += 250_000;
              leases.push(lease());
              await hand.runIntervals();
              leases.push(lease());
            },
          }),
      },
    });
    expect((await scheduler.tick('cron')).decision).toBe('REQUESTED');
    expect(leases).toEqual([350_000, 600_000, 350_000, 600_000]);
  });

  it('cancels a sensor run when another scheduler took its lock over', async () => {
    writer.start('P1S-A', 'a-1');
    writer.end('a-1');
    const logger = recordingLogger();
    const ended: string[] = [];
    const scheduler = makeScheduler({ logger, adapter: stealingAdapter(ended) });
    const tick = await scheduler.tick('cron');
    expect(tick.decision).toBe('FAILED');
    expect(tick.reason).toContain('run lock was lost during the run');
    expect(tick.reason).toContain('pid 4242 on another-host');
    expect(tick.cursorAfter).toBe(0);
    expect(ended).toEqual(['main.jobs_brz']);
    expect(logger.lines.some((line) => line.startsWith('error') && line.includes('run lock was lost'))).toBe(
      true,
    );
    // The thief's lock is left alone.
    expect((await scheduler.status()).lock?.owner).toBe('thief');
  });

  it('refuses to finish a manual run whose lock was taken over', async () => {
    const ended: string[] = [];
    const scheduler = makeScheduler({ adapter: stealingAdapter(ended) });
    await expect(scheduler.runNow({ tags: ['bronze'] })).rejects.toThrow(RunLockLostError);
    expect(ended).toHaveLength(1);
    // The history keeps it, as cancelled.
    expect((await listRuns(scheduler)).map((run) => run.status)).toEqual(['CANCELLED']);
  });
});

/**
 * The real adapter, but another host takes the run lock over as the first action ends, and the lease
 * timer fires. Only actions that ran are noted in `ended` (the rest end CANCELLED or SKIPPED).
 */
function stealingAdapter(ended: string[]): typeof adapterFunctions {
  return {
    ...adapterFunctions,
    runGraph: (graph, options) =>
      adapterFunctions.runGraph(graph, {
        ...options,
        onActionEnd: async (action) => {
          if (action.status === 'CANCELLED' || action.status === 'SKIPPED') return;
          ended.push(action.name);
          db.prepare(
            `UPDATE _bambuzled_locks SET owner = 'thief', pid = 4242, hostname = 'another-host' WHERE name = 'graph-run'`,
          ).run();
          await hand.runIntervals();
          await options.onActionEnd?.(action);
        },
      }),
  };
}

/** The real adapter, calling `onSlowStarted` once main.jobs_brz has ended (main.slow_brz is then running). */
function announcing(onSlowStarted: () => void): typeof adapterFunctions {
  return {
    ...adapterFunctions,
    runGraph: (graph, options) =>
      adapterFunctions.runGraph(graph, {
        ...options,
        onActionEnd: async (action) => {
          await options.onActionEnd?.(action);
          // main.slow_brz comes next: cancelled before or during its statement, it ends CANCELLED.
          if (action.name === 'main.jobs_brz') onSlowStarted();
        },
      }),
  };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}
