import type { JobRecord } from './job-record.js';
import type { RawStore } from './raw-store.js';

/** The step asked the store something it answers later: wait for `answer`, then step again. */
export class Unanswered extends Error {
  constructor(readonly answer: Promise<void>) {
    super('the raw store answers later');
    this.name = 'Unanswered';
  }
}

/**
 * The store's answers to the questions one step asks (the printer's open jobs, whether a key is
 * taken), kept for the step's re-runs. The state machine is synchronous and pure; a store that
 * answers at once (SQLite) is asked inline, one that answers later (PostgreSQL) throws Unanswered
 * so that the tracker awaits the answer and runs the step again with it.
 */
export class StoreLookups {
  private open: JobRecord[] | undefined;
  private readonly keys = new Map<string, boolean>();

  constructor(
    private readonly store: RawStore,
    private readonly serial: string,
  ) {}

  openJobs(): JobRecord[] {
    if (this.open) return this.open;
    const answer = this.store.openJobs(this.serial);
    if (answer instanceof Promise) {
      throw new Unanswered(
        answer.then((jobs) => {
          this.open = jobs;
        }),
      );
    }
    this.open = answer;
    return answer;
  }

  keyTaken(key: string): boolean {
    const known = this.keys.get(key);
    if (known !== undefined) return known;
    const answer = this.store.keyTaken(key);
    if (answer instanceof Promise) {
      throw new Unanswered(
        answer.then((taken) => {
          this.keys.set(key, taken);
        }),
      );
    }
    this.keys.set(key, answer);
    return answer;
  }
}
