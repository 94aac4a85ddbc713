import { compileVarsFor, type RunResult, type Selection } from '../adapter/index.js';
import type { Timers } from './change-watcher.js';
import { ProjectCompileError, RunLockLostError, SchedulerBusyError } from './errors.js';
import { type GraphRunContext, underLease } from './run-context.js';
import type { RunNowRequest } from './scheduler-types.js';

/** What a manual run needs beyond a graph run's context: how long and how often to wait for the lock. */
export interface ManualRunContext extends GraphRunContext {
  timers: Timers;
  pollIntervalMs: number;
  /** How long a manual run waits for another process's run to finish. */
  lockWaitMs?: number | undefined;
}

/**
 * A manual run of a selection (`bambuzled run`): waits for the run lock, compiles, runs; the cursor
 * stays. A run cancelled because the lock was lost rejects with the RunLockLostError (the history
 * has it as CANCELLED); one cancelled on request resolves CANCELLED.
 */
export async function runManually(context: ManualRunContext, request: RunNowRequest): Promise<RunResult> {
  await acquireWaiting(context, 'manual run');
  try {
    const { result, stoppedBy } = await underLease(context, async (signal) => {
      const compiled = await context.adapter.compileProject({
        projectDir: context.projectDir,
        vars: compileVarsFor(context.dialect),
      });
      if (!compiled.ok) throw new ProjectCompileError(context.projectDir, compiled.message);
      const selection: Selection = {
        ...(request.tags?.length ? { tags: request.tags } : {}),
        ...(request.actions?.length ? { actions: request.actions } : {}),
        includeDeps: request.includeDeps ?? false,
        includeDependents: request.includeDependents ?? false,
      };
      const run = await context.adapter.runGraph(compiled.graph, {
        executor: context.runner,
        history: context.runHistory,
        dialect: context.dialect,
        lock: context.lock,
        selection,
        fullRefresh: request.fullRefresh ?? false,
        trigger: 'manual',
        now: context.now,
        signal,
      });
      return { result: run, stoppedBy: signal.aborted ? (signal.reason as unknown) : undefined };
    });
    await context.prune();
    context.logger?.info(`manual run ${result.runId}: ${result.status}`);
    if (stoppedBy instanceof RunLockLostError) throw stoppedBy;
    return result;
  } finally {
    await context.lock.release().catch((error: unknown) => context.logError('releasing the run lock', error));
  }
}

/** Waits (up to lockWaitMs) for another process's run to end; a manual run is not skipped. */
async function acquireWaiting(context: ManualRunContext, purpose: string): Promise<void> {
  const deadline = context.now().getTime() + (context.lockWaitMs ?? 120_000);
  for (;;) {
    const outcome = await context.lock.tryAcquire(purpose);
    if (outcome.acquired) return;
    if (context.now().getTime() >= deadline) throw new SchedulerBusyError(outcome.holder);
    await new Promise<void>((resolve) => context.timers.setTimeout(resolve, context.pollIntervalMs || 250));
  }
}
