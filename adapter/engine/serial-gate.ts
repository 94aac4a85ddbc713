/**
 * One thing at a time on a connection: calls wait their turn, so that a transaction in progress is
 * never entered by a statement from elsewhere in the process.
 */
export class SerialGate {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const turn = this.tail.then(work, work);
    this.tail = turn.catch(() => undefined);
    return turn;
  }
}
