import type { RunResult, Selection } from '../adapter/index.js';
import type { Timers } from './change-watcher.js';
import { ProjectCompileError, SchedulerBusyError } from './errors.js';
import type { GraphRunContext } from './run-context.js';
import type { RunNowRequest } from './scheduler-types.js';

/** What a manual run needs beyond a graph run's context: how long and how often to wait for the lock. */
export interface ManualRunContext extends GraphRunContext {
  timers: Timers;
  pollIntervalMs: number;
  /** How long a manual run waits for another process's run to finish. */
  lockWaitMs?: number | undefined;
}

/** A manual run of a selection (`bambuzled run`): waits for the run lock, compiles, runs; the cursor stays. */
export async function runManually(context: ManualRunContext, request: RunNowRequest): Promise<RunResult> {
  await acquireWaiting(context, 'manual run');
  try {
    const compiled = await context.adapter.compileProject({ projectDir: context.projectDir });
    if (!compiled.ok) throw new ProjectCompileError(context.projectDir, compiled.message);
    context.keepLock('while compiling');
    const selection: Selection = {
      ...(request.tags?.length ? { tags: request.tags } : {}),
      ...(request.actions?.length ? { actions: request.actions } : {}),
      includeDeps: request.includeDeps ?? false,
      includeDependents: request.includeDependents ?? false,
    };
    const result = context.adapter.runGraph(compiled.graph, {
      db: context.db,
      selection,
      fullRefresh: request.fullRefresh ?? false,
      trigger: 'manual',
      now: context.now,
      onActionEnd: (action) => context.keepLock(`after action ${action.name}`),
    });
    context.prune();
    context.logger?.info(`manual run ${result.runId}: ${result.status}`);
    return result;
  } finally {
    context.lock.release();
  }
}

/** Waits (up to lockWaitMs) for another process's run to end; a manual run is not skipped. */
async function acquireWaiting(context: ManualRunContext, purpose: string): Promise<void> {
  const deadline = context.now().getTime() + (context.lockWaitMs ?? 120_000);
  for (;;) {
    const outcome = context.lock.tryAcquire(purpose);
    if (outcome.acquired) return;
    if (context.now().getTime() >= deadline) throw new SchedulerBusyError(outcome.holder);
    await new Promise<void>((resolve) => context.timers.setTimeout(resolve, context.pollIntervalMs || 250));
  }
}
