import type { RunResult, Selection } from '../adapter/index.js';
import { jobsEndedSince, latestChangeSeq } from '../ingestion/raw-changes.js';
import { describeHolder, RunLockLostError } from './errors.js';
import type { GraphRunContext } from './run-context.js';
import type { SensorStore, TickRecord } from './sensor-store.js';
import { describeEnded, failureOf, messageOf } from './tick-reasons.js';
import type { TickRecorder } from './tick-recorder.js';

/** What one sensor evaluation needs beyond a graph run's context. */
export interface TickEvaluationContext extends GraphRunContext {
  store: SensorStore;
  /** What a sensor run covers. */
  selection: Selection;
  recorder: TickRecorder;
  /** Called when another holder has the run lock, so that its release wakes the sensor. */
  onLockBusy(): void;
}

/** The evaluation: decide from the change cursor, run, and commit the cursor with the run. */
export async function evaluateTick(context: TickEvaluationContext, wokenBy: string): Promise<TickRecord> {
  const { db, store, lock, recorder } = context;
  const at = context.now();
  const cursorBefore = store.cursor();
  const acquired = lock.tryAcquire(`sensor run (${wokenBy})`);
  if (!acquired.acquired) {
    // Come back when the other holder commits its release, rather than on the next cron tick.
    context.onLockBusy();
    const reason = `a run is in progress: ${describeHolder(acquired.holder)}`;
    return recorder.record(wokenBy, at, cursorBefore, cursorBefore, 'SKIPPED', reason, null);
  }
  if (acquired.tookOverFrom) {
    context.logger?.warn(`took over a stale run lock: ${describeHolder(acquired.tookOverFrom)}`);
  }
  try {
    // Read the high-water mark first: every event at or below it is already committed, so
    // everything it covers is handled by this run and nothing later is skipped.
    const upTo = latestChangeSeq(db);
    const ended = jobsEndedSince(db, cursorBefore).filter((job) => job.seq <= upTo);
    if (ended.length === 0) {
      const after = Math.max(cursorBefore, upTo);
      if (after !== cursorBefore) store.setCursor(after);
      const reason = `no job ended since change ${cursorBefore} (latest change ${upTo})`;
      return recorder.record(wokenBy, at, cursorBefore, after, 'SKIPPED', reason, null);
    }
    const what = describeEnded(ended);
    const compiled = await context.adapter.compileProject({ projectDir: context.projectDir });
    if (!compiled.ok) {
      const reason = `${what}; the project does not compile: ${compiled.message}`;
      return recorder.record(wokenBy, at, cursorBefore, cursorBefore, 'FAILED', reason, null);
    }
    if (!lock.heartbeat()) {
      const reason = `${what}; ${new RunLockLostError(lock.holder(), 'while compiling').message}`;
      return recorder.record(wokenBy, at, cursorBefore, cursorBefore, 'FAILED', reason, null);
    }
    let result: RunResult;
    try {
      result = context.adapter.runGraph(compiled.graph, {
        db,
        selection: context.selection,
        trigger: 'sensor',
        now: context.now,
        onActionEnd: (action) => context.keepLock(`after action ${action.name}`),
        // Inside the run's recording transaction: the cursor moves with the run, or not at all.
        recordWith: (_db, run) => {
          if (run.status === 'SUCCESSFUL') store.setCursor(upTo, run.runId > 0 ? run.runId : undefined);
        },
      });
    } catch (error) {
      const reason = `${what}; the run was not recorded (${messageOf(error)}), so the next tick runs again`;
      return recorder.record(wokenBy, at, cursorBefore, cursorBefore, 'FAILED', reason, null);
    }
    context.prune();
    if (result.status === 'SUCCESSFUL') {
      const done = `run ${result.runId} SUCCESSFUL: ${result.actions.length} actions in ${result.durationMs} ms`;
      return recorder.record(wokenBy, at, cursorBefore, upTo, 'REQUESTED', `${what}; ${done}`, result.runId);
    }
    const reason =
      result.runId > 0
        ? `${what}; run ${result.runId} failed: ${failureOf(result)}; the next tick retries`
        : `${what}; the run could not start: ${result.error ?? failureOf(result)}; the next tick retries`;
    return recorder.record(wokenBy, at, cursorBefore, cursorBefore, 'FAILED', reason, result.runId);
  } finally {
    lock.release();
  }
}
