import { type AsyncExecutor, type Engine, EngineError, openEngine } from '../adapter/index.js';

/**
 * Opens the engine a database spec names and one connection to it, or says in one line what is wrong
 * with the database and what to do (an EngineError's message), for the command to exit with.
 */
export async function connect(
  spec: string,
  options: { readonly?: boolean } = {},
): Promise<{ ok: true; engine: Engine; executor: AsyncExecutor } | { ok: false; message: string }> {
  try {
    const engine = openEngine(spec);
    return { ok: true, engine, executor: await engine.connect(options) };
  } catch (error) {
    if (error instanceof EngineError) return { ok: false, message: error.message };
    throw error;
  }
}
