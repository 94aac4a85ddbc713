import { compileVarsFor, EngineError, openEngine } from '../adapter/index.js';

/**
 * The vars to compile with for the engine a database spec names: the user's, with the engine's own
 * (`engine=sqlite|postgres`) over them, so that the project's SQL is that engine's. An invalid spec
 * keeps the user's vars: connecting to it afterwards says what is wrong.
 */
export function engineCompileVars(spec: string, vars: Record<string, string> = {}): Record<string, string> {
  try {
    return compileVarsFor(openEngine(spec).dialect, vars);
  } catch (error) {
    if (error instanceof EngineError) return { ...vars };
    throw error;
  }
}
