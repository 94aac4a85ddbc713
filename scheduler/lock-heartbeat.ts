import { RunLockLostError } from './errors.js';
import type { RunLock } from './run-lock.js';

/**
 * Renews the run lock's lease; when it is no longer ours, stops the run. Thrown from onActionEnd,
 * the error leaves runGraph after the action that just ended (the adapter drops its staging tables
 * and records nothing), so no further action runs alongside the new holder's.
 */
export function keepLock(
  lock: RunLock,
  where: string,
  logError: (what: string, error: unknown) => void,
): void {
  if (lock.heartbeat()) return;
  const lost = new RunLockLostError(lock.holder(), where);
  logError('run lock', lost);
  throw lost;
}
