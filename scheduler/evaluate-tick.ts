import { compileVarsFor, engineErrorKind, type RunResult, type Selection } from '../adapter/index.js';
import { jobsEndedSince, latestChangeSeq } from '../ingestion/index.js';
import type { QueryRows } from '../lib/index.js';
import { describeHolder, RunLockLostError } from './errors.js';
import { type GraphRunContext, underLease } from './run-context.js';
import type { SensorStore, TickRecord } from './sensor-store.js';
import { describeEnded, failureOf, messageOf } from './tick-reasons.js';
import type { TickOutcome, TickRecorder } from './tick-recorder.js';

/** What one sensor evaluation needs beyond a graph run's context. */
export interface TickEvaluationContext extends GraphRunContext {
  store: SensorStore;
  /** What a sensor run covers. */
  selection: Selection;
  recorder: TickRecorder;
  /** The change feed, read through the control connection. */
  changes: QueryRows;
  /** Called when another holder has the run lock, so that its release wakes the sensor. */
  onLockBusy(): void;
}

/** The evaluation: decide from the change cursor, run, and commit the cursor with the run. */
export async function evaluateTick(context: TickEvaluationContext, wokenBy: string): Promise<TickRecord> {
  const { store, lock, recorder } = context;
  const at = context.now();
  const acquired = await lock.tryAcquire(`sensor run (${wokenBy})`);
  // The cursor is read under the lock: another scheduler of the same sensor may have moved it with
  // the run it just finished, and a cursor read before would make this one run the same jobs again.
  const cursorBefore = await store.cursor();
  const record = (outcome: Omit<TickOutcome, 'wokenBy' | 'at' | 'cursorBefore'>) =>
    recorder.record({ wokenBy, at, cursorBefore, ...outcome });
  if (!acquired.acquired) {
    // Come back when the other holder releases it, rather than on the next cron tick.
    context.onLockBusy();
    const reason = `a run is in progress: ${describeHolder(acquired.holder)}`;
    return record({ cursorAfter: cursorBefore, decision: 'SKIPPED', reason, runId: null });
  }
  if (acquired.tookOverFrom) {
    context.logger?.warn(`took over a stale run lock: ${describeHolder(acquired.tookOverFrom)}`);
  }
  let unrecorded = false;
  try {
    // Read the high-water mark first: every event at or below it is already committed, so
    // everything it covers is handled by this run and nothing later is skipped.
    const upTo = await latestChangeSeq(context.changes);
    const ended = (await jobsEndedSince(context.changes, cursorBefore)).filter((job) => job.seq <= upTo);
    if (ended.length === 0) {
      const after = Math.max(cursorBefore, upTo);
      if (after !== cursorBefore) await store.setCursor(after);
      const reason = `no job ended since change ${cursorBefore} (latest change ${upTo})`;
      return record({ cursorAfter: after, decision: 'SKIPPED', reason, runId: null });
    }
    const what = describeEnded(ended);
    const compiled = await context.adapter.compileProject({
      projectDir: context.projectDir,
      vars: compileVarsFor(context.dialect),
    });
    if (!compiled.ok) {
      const reason = `${what}; the project does not compile: ${compiled.message}`;
      return record({ cursorAfter: cursorBefore, decision: 'FAILED', reason, runId: null });
    }
    let result: RunResult;
    let stoppedBy: unknown;
    try {
      result = await underLease(context, async (signal) => {
        const run = await context.adapter.runGraph(compiled.graph, {
          executor: context.runner,
          history: context.runHistory,
          dialect: context.dialect,
          lock,
          selection: context.selection,
          trigger: 'sensor',
          now: context.now,
          signal,
          // Inside the run's recording transaction: the cursor moves with the run, or not at all.
          // A cancelled or failed run keeps it, so the next tick runs again.
          recordWith: async (tx, run) => {
            if (run.status === 'SUCCESSFUL')
              await store.setCursor(upTo, run.runId > 0 ? run.runId : undefined, tx);
          },
        });
        stoppedBy = signal.aborted ? signal.reason : undefined;
        return run;
      });
    } catch (error) {
      unrecorded = true;
      const reason = `${what}; the run was not recorded (${messageOf(error)}), so the next tick runs again`;
      const busy = engineErrorKind(error) === 'busy';
      return record({ cursorAfter: cursorBefore, decision: 'FAILED', reason, runId: null, busy });
    }
    await context.prune();
    if (result.status === 'SUCCESSFUL') {
      const done = `run ${result.runId} SUCCESSFUL: ${result.actions.length} actions in ${result.durationMs} ms`;
      return record({
        cursorAfter: upTo,
        decision: 'REQUESTED',
        reason: `${what}; ${done}`,
        runId: result.runId,
      });
    }
    const runId = result.runId > 0 ? result.runId : null;
    if (stoppedBy instanceof RunLockLostError) {
      return record({
        cursorAfter: cursorBefore,
        decision: 'FAILED',
        reason: `${what}; ${stoppedBy.message}`,
        runId,
      });
    }
    if (result.status === 'CANCELLED') {
      const reason = `${what}; run ${result.runId} was cancelled (${result.error ?? 'on request'}); the cursor stays, so the next tick runs again`;
      return record({ cursorAfter: cursorBefore, decision: 'FAILED', reason, runId });
    }
    const busy = result.actions.some((action) => action.errorKind === 'busy');
    const reason =
      result.runId > 0
        ? `${what}; run ${result.runId} failed: ${failureOf(result)}; the next tick retries`
        : `${what}; the run could not start: ${result.error ?? failureOf(result)}; the next tick retries`;
    return record({ cursorAfter: cursorBefore, decision: 'FAILED', reason, runId, busy });
  } finally {
    await lock.release().catch((error: unknown) => context.logError('releasing the run lock', error));
    // A run whose end could not be recorded would show RUNNING until the next open: say now that
    // it was interrupted (the lock is free, so the history sees its owner gone).
    if (unrecorded) {
      await context.controlHistory
        .markInterrupted()
        .catch((error: unknown) => context.logError('marking an unrecorded run', error));
    }
  }
}
