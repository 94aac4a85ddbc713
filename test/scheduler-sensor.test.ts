import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import nodeCron from 'node-cron';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as adapterFunctions from '../adapter/index.js';
import { compileProject, listRuns } from '../adapter/index.js';
import { migrateRawSchema } from '../ingestion/raw-schema.js';
import { recordingLogger } from '../lib/logger.js';
import { openDatabase, type SqliteDatabase } from '../lib/sqlite.js';
import type { Timers } from '../scheduler/change-watcher.js';
import { RunLockLostError, SchedulerBusyError, SchedulerConfigError } from '../scheduler/errors.js';
import { RawLayerWriter, writeSensorProject } from '../scheduler/sandbox.js';
import { type Cron, createScheduler, type Scheduler, type SchedulerOptions } from '../scheduler/scheduler.js';

let projectDir: string;
let dir: string;
let dbPath: string;
let db: SqliteDatabase;
let clockMs: number;
let writer: RawLayerWriter;
const schedulers: Scheduler[] = [];
const extraConnections: SqliteDatabase[] = [];
const now = () => new Date(clockMs);

beforeAll(async () => {
  projectDir = writeSensorProject(mkdtempSync(join(tmpdir(), 'sched-project-')));
  // Compile once so that every evaluation below reads the graph from the adapter's cache.
  const compiled = await compileProject({ projectDir });
  expect(compiled.ok, compiled.ok ? '' : compiled.message).toBe(true);
});

afterAll(() => rmSync(projectDir, { recursive: true, force: true }));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sched-db-'));
  dbPath = join(dir, 'history.db');
  db = openDatabase(dbPath);
  migrateRawSchema(db);
  clockMs = Date.parse('2026-11-27T10:00:00.000Z');
  writer = new RawLayerWriter(db, () => {
    clockMs += 1000;
    return now();
  });
});

afterEach(async () => {
  for (const scheduler of schedulers.splice(0)) await scheduler.stop();
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

/** Interval timers that run only when the test says. */
function handTimers() {
  const intervals = new Map<number, () => void>();
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
    runIntervals: () => {
      for (const callback of intervals.values()) callback();
    },
  };
}

function makeScheduler(overrides: Partial<SchedulerOptions> = {}): Scheduler {
  const scheduler = createScheduler({
    db,
    projectDir,
    now,
    cron: handCron().cron,
    timers: handTimers().timers,
    ...overrides,
  });
  schedulers.push(scheduler);
  return scheduler;
}

function bronzeJobIds(connection: SqliteDatabase = db): string[] {
  return (
    connection.prepare('SELECT job_id FROM jobs_brz ORDER BY job_id').all() as { job_id: string }[]
  ).map((row) => row.job_id);
}

describe('the sensor', () => {
  it('skips a tick and says why when no job has ended', async () => {
    const seq = writer.start('P1S-A', 'a-1');
    const tick = await makeScheduler().tick('cron');
    expect(tick.decision).toBe('SKIPPED');
    expect(tick.reason).toContain(`no job ended since change 0`);
    expect(tick.cursorAfter).toBe(seq);
    expect(listRuns(db)).toEqual([]);
  });

  it('runs the graph when a job ends and commits the cursor with the run', async () => {
    writer.start('P1S-A', 'a-1');
    const endSeq = writer.end('a-1');
    const scheduler = makeScheduler();
    const tick = await scheduler.tick('cron');
    expect(tick.decision, tick.reason).toBe('REQUESTED');
    expect(tick.cursorAfter).toBe(endSeq);
    expect(bronzeJobIds()).toEqual(['a-1']);
    const [run] = listRuns(db);
    expect(run?.runId).toBe(tick.runId);
    expect(run?.trigger).toBe('sensor');
    expect(scheduler.status().cursor).toBe(endSeq);
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
    const tick = await makeScheduler().tick('start');
    expect(tick.decision).toBe('REQUESTED');
    expect(tick.reason).toMatch(/^5 jobs ended/);
    expect(listRuns(db)).toHaveLength(1);
    expect(bronzeJobIds()).toHaveLength(5);
  });

  it('runs again when the process dies between the run and the cursor commit', async () => {
    writer.start('P1S-A', 'a-1');
    const endSeq = writer.end('a-1');
    const scheduler = makeScheduler();
    // A failing write inside the recording transaction stands for a crash at that point.
    db.exec(`CREATE TEMP TRIGGER crash_on_commit BEFORE UPDATE OF cursor ON _bambuzled_sensor_state
             BEGIN SELECT RAISE(ABORT, 'simulated crash before commit'); END`);
    const crashed = await scheduler.tick('cron');
    expect(crashed.decision).toBe('FAILED');
    expect(crashed.reason).toContain('simulated crash before commit');
    expect(crashed.cursorAfter).toBe(0);
    expect(listRuns(db)).toEqual([]);
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
    expect(listRuns(db).map((run) => run.status)).toEqual(['SUCCESSFUL', 'FAILED', 'FAILED']);
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
    const other = openDatabase(dbPath);
    extraConnections.push(other);
    const first = makeScheduler();
    const second = makeScheduler({ db: other });
    const [a, b] = await Promise.all([first.tick('cron'), second.tick('cron')]);
    expect([a.decision, b.decision].sort()).toEqual(['REQUESTED', 'SKIPPED']);
    expect((a.decision === 'SKIPPED' ? a : b).reason).toMatch(/^a run is in progress: sensor run \(cron\)/);
    expect(listRuns(db)).toHaveLength(1);
  });

  it('takes over the run lock of a holder whose process has died', async () => {
    writer.start('P1S-A', 'a-1');
    writer.end('a-1');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const deadPid = Number(dead.stdout.toString());
    const scheduler = makeScheduler({ logger: recordingLogger() });
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
    const hand = handCron();
    const scheduler = makeScheduler({ cron: hand.cron });
    scheduler.start();
    await scheduler.idle();
    expect(scheduler.status().state).toBe('RUNNING');
    expect(scheduler.ticks(1)[0]?.wokenBy).toBe('start');
    writer.start('P1S-A', 'a-1');
    writer.end('a-1');
    scheduler.wake('job-ended');
    await scheduler.idle();
    const woken = scheduler.ticks(1)[0];
    expect(woken?.wokenBy).toBe('wake (job-ended)');
    expect(woken?.decision).toBe('REQUESTED');
    hand.fire();
    await scheduler.idle();
    expect(scheduler.ticks(1)[0]?.wokenBy).toBe('cron');
    expect(scheduler.status().nextTickAt).toBe(new Date(clockMs + 30_000).toISOString());
    await scheduler.stop();
    expect(scheduler.status().state).toBe('STOPPED');
    scheduler.wake('ignored');
    await scheduler.idle();
    expect(scheduler.ticks(1)[0]?.wokenBy).toBe('cron');
  });

  it('notices a job ended through another connection on its next poll', async () => {
    const hand = handTimers();
    const scheduler = makeScheduler({ timers: hand.timers });
    scheduler.start();
    await scheduler.idle();
    const listener = openDatabase(dbPath);
    extraConnections.push(listener);
    const remote = new RawLayerWriter(listener, now);
    remote.start('P1S-A', 'remote-1');
    hand.runIntervals();
    await scheduler.idle();
    expect(scheduler.ticks(1)[0]?.wokenBy).toBe('start');
    remote.end('remote-1');
    hand.runIntervals();
    await scheduler.idle();
    const tick = scheduler.ticks(1)[0];
    expect(tick?.wokenBy).toBe('wake (poll)');
    expect(tick?.decision).toBe('REQUESTED');
    expect(bronzeJobIds()).toEqual(['remote-1']);
  });

  it('runs a manual selection without moving the cursor', async () => {
    writer.start('P1S-A', 'a-1');
    writer.end('a-1');
    const scheduler = makeScheduler();
    const run = await scheduler.runNow({ actions: ['jobs_brz'] });
    expect(run.status).toBe('SUCCESSFUL');
    expect(run.trigger).toBe('manual');
    expect(run.actions.map((action) => action.name)).toEqual(['main.jobs_brz']);
    expect(scheduler.status().cursor).toBe(0);
    expect(scheduler.status().pendingEndedJobs).toBe(1);
  });

  it('handles every ended job again after a cursor reset', async () => {
    writer.start('P1S-A', 'a-1');
    writer.end('a-1');
    const scheduler = makeScheduler();
    expect((await scheduler.tick('cron')).decision).toBe('REQUESTED');
    expect(scheduler.resetCursor()).toEqual({ before: 2, after: 0 });
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
    expect(scheduler.ticks(100)).toHaveLength(3);
    expect(listRuns(db)).toHaveLength(2);
  });

  it('refuses a schedule that is not a cron expression', () => {
    expect(() => createScheduler({ db, projectDir, schedule: 'every minute' })).toThrow(SchedulerConfigError);
  });

  it('lets a run in flight finish when stopped', async () => {
    writer.start('P1S-A', 'a-1');
    writer.end('a-1');
    const scheduler = makeScheduler();
    scheduler.start();
    await scheduler.stop();
    const [last] = scheduler.ticks(1);
    expect(last?.wokenBy).toBe('start');
    expect(last?.decision).toBe('REQUESTED');
    expect(bronzeJobIds()).toEqual(['a-1']);
    expect(scheduler.status().state).toBe('STOPPED');
  });

  it('refuses a manual run while another host keeps the run lock', async () => {
    const scheduler = makeScheduler({ lockWaitMs: 0 });
    db.prepare(
      `INSERT INTO _bambuzled_locks (name, owner, pid, hostname, purpose, acquired_at, heartbeat_at, expires_at_ms)
       VALUES ('graph-run', 'elsewhere', 4242, 'another-host', 'sensor run (cron)', 'x', 'x', ?)`,
    ).run(clockMs + 60_000);
    await expect(scheduler.runNow()).rejects.toThrow(SchedulerBusyError);
    expect(listRuns(db)).toEqual([]);
  });

  it('ticks on a real node-cron schedule', async () => {
    const scheduler = makeScheduler({ cron: undefined, now: () => new Date(), schedule: '* * * * * *' });
    scheduler.start();
    const deadline = Date.now() + 10_000;
    while (!scheduler.ticks(10).some((tick) => tick.wokenBy === 'cron') && Date.now() < deadline) {
      await new Promise((done) => setTimeout(done, 50));
    }
    expect(scheduler.status().nextTickAt).not.toBeNull();
    await scheduler.stop();
    expect(scheduler.ticks(10).map((tick) => tick.wokenBy)).toContain('cron');
  });

  it('retries soon after a run that lost the race for the write lock', async () => {
    writer.start('P1S-A', 'a-1');
    writer.end('a-1');
    let attempts = 0;
    const scheduler = makeScheduler({
      adapter: {
        ...adapterFunctions,
        // The listener committing mid-run makes SQLite refuse a deferred transaction's write at once.
        runGraph: (graph, options) => {
          attempts++;
          if (attempts === 1) throw new Error('database is locked');
          return adapterFunctions.runGraph(graph, options);
        },
      },
    });
    scheduler.start();
    await scheduler.idle();
    await new Promise((done) => setTimeout(done, 10));
    await scheduler.idle();
    const [retry, failed] = scheduler.ticks(2);
    expect(failed?.decision).toBe('FAILED');
    expect(retry?.wokenBy).toBe('wake (retry after a busy database)');
    expect(retry?.decision).toBe('REQUESTED');
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
      ...handTimers().timers,
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
        runGraph: () => {
          throw new Error('database is locked');
        },
      },
    });
    scheduler.start();
    await scheduler.idle();
    expect(scheduler.ticks(1)[0]?.decision).toBe('FAILED');
    expect(pending.size).toBe(1);
    await scheduler.stop();
    expect(pending.size).toBe(0);
  });

  it('holds the run lock ten minutes past each heartbeat, so a long action keeps it', async () => {
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
            onActionEnd: (action) => {
              options.onActionEnd?.(action);
              leases.push(lease());
            },
          }),
      },
    });
    expect((await scheduler.tick('cron')).decision).toBe('REQUESTED');
    expect(leases).toEqual([600_000, 600_000]);
  });

  it('stops a sensor run at the next action when another scheduler took its lock over', async () => {
    writer.start('P1S-A', 'a-1');
    writer.end('a-1');
    const logger = recordingLogger();
    const ended: string[] = [];
    const scheduler = makeScheduler({ logger, adapter: stealingAdapter(ended) });
    const tick = await scheduler.tick('cron');
    expect(tick.decision).toBe('FAILED');
    expect(tick.reason).toContain('run lock was lost after action main.jobs_brz');
    expect(tick.reason).toContain('pid 4242 on another-host');
    expect(tick.cursorAfter).toBe(0);
    expect(ended).toEqual(['main.jobs_brz']);
    expect(logger.lines.some((line) => line.startsWith('error') && line.includes('run lock was lost'))).toBe(
      true,
    );
    // The thief's lock is left alone.
    expect(scheduler.status().lock?.owner).toBe('thief');
  });

  it('refuses to finish a manual run whose lock was taken over', async () => {
    const ended: string[] = [];
    const scheduler = makeScheduler({ adapter: stealingAdapter(ended) });
    await expect(scheduler.runNow({ tags: ['bronze'] })).rejects.toThrow(RunLockLostError);
    expect(ended).toHaveLength(1);
    expect(listRuns(db)).toEqual([]);
  });
});

/** The real adapter, but another host takes the run lock over as the first action ends. */
function stealingAdapter(ended: string[]): typeof adapterFunctions {
  return {
    ...adapterFunctions,
    runGraph: (graph, options) =>
      adapterFunctions.runGraph(graph, {
        ...options,
        onActionEnd: (action) => {
          ended.push(action.name);
          db.prepare(
            `UPDATE _bambuzled_locks SET owner = 'thief', pid = 4242, hostname = 'another-host' WHERE name = 'graph-run'`,
          ).run();
          options.onActionEnd?.(action);
        },
      }),
  };
}
