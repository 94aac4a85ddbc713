import type { Logger } from '../lib/index.js';

/** How long a stopped service may take to leave once everything it owns is closed. */
export const EXIT_GRACE_MS = 10_000;

/**
 * Called once a long-running command has closed everything and saved what it holds. Node exits when
 * nothing is left open; if something still is (a library's timer or socket we did not close), the
 * user who pressed Ctrl-C must not wait forever: after the grace period this says what held the
 * process open, so that it can be fixed, and exits with the code already set.
 */
export function exitIfStillHeld(logger: Logger, graceMs = EXIT_GRACE_MS): void {
  setTimeout(() => {
    const held = new Map<string, number>();
    for (const kind of process.getActiveResourcesInfo()) held.set(kind, (held.get(kind) ?? 0) + 1);
    const list = [...held].map(([kind, n]) => (n > 1 ? `${kind} ×${n}` : kind)).join(', ');
    logger.warn(
      `still running ${graceMs / 1000} s after stopping cleanly, held open by ${list || 'nothing Node names'}; exiting (everything was saved before this).`,
    );
    process.exit();
  }, graceMs).unref();
}
