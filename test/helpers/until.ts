/**
 * Resolves once `condition()` holds, polling every 20 ms; rejects after `timeoutMs`. The condition
 * may be async (a query to a server), and is then never asked again before its answer is in. The
 * timeout is a deadline for a loaded machine, not an expectation of speed: keep it generous.
 */
export function until(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
  what = 'condition',
): Promise<void> {
  // Made here so that its stack names the test line that waited, not this helper's timer.
  const timedOut = new Error(`${what} not met in ${timeoutMs} ms`);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const poll = async () => {
      let met: boolean;
      try {
        met = await condition();
      } catch (error) {
        return reject(error);
      }
      if (met) return resolve();
      if (Date.now() - started > timeoutMs) return reject(timedOut);
      setTimeout(poll, 20);
    };
    void poll();
  });
}
