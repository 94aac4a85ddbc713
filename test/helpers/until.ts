/**
 * Resolves once `condition()` holds, polling every 20 ms; rejects after `timeoutMs`. The condition
 * may be async (a query to a server), and is then never asked again before its answer is in.
 */
export function until(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
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
      if (Date.now() - started > timeoutMs) return reject(new Error('condition not met in time'));
      setTimeout(poll, 20);
    };
    void poll();
  });
}
