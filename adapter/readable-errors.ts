/**
 * Makes the stock compiler's graph errors readable, in one place. The compiler prints targets as
 * JSON (`depends on "{"name":"x","includeDependentAssertions":false}"`), names actions with their
 * BigQuery database (`p.main.x`), and files a missing ref() under its own entry point, `index.js`.
 */
import { displayNameOf, knownTargets } from './names.js';
import type { CompilationError, CompiledGraph, Target } from './types.js';

/** The file name the stock compiler gives errors raised outside any definitions file. */
const COMPILER_ENTRY = 'index.js';

const UNRESOLVED = /^Could not resolve (?:"([^"]*)"|(\{[^{}]*\}))$/;
const MISSING_DEPENDENCY = /^Missing dependency detected: Action "[^"]*" depends on "(\{[^{}]*\}|[^"]*)"/;

/**
 * The errors with targets shown as `schema.name` (or `name`), known actions without their database,
 * and a missing ref() filed under the definitions file that made it rather than `index.js` (or under
 * no file when none can be told). A changed message keeps the compiler's own in `detail`.
 */
export function readableCompilationErrors(
  errors: readonly CompilationError[],
  graph?: CompiledGraph,
): CompilationError[] {
  const shortNames = databaseQualifiedNames(errors, graph);
  // The compiler reports a missing ref() twice: "Could not resolve" under index.js, then "Missing
  // dependency" under the action's file, both in definition order; pair them up by target, in order.
  const owners = new Map<string, CompilationError[]>();
  for (const error of errors) {
    const missing = MISSING_DEPENDENCY.exec(error.message)?.[1];
    if (missing === undefined || error.fileName === undefined || error.fileName === COMPILER_ENTRY) continue;
    const key = targetText(missing);
    owners.set(key, [...(owners.get(key) ?? []), error]);
  }
  return errors.map((error) => {
    let located: Pick<CompilationError, 'fileName' | 'actionName'> = {
      ...(error.fileName !== undefined ? { fileName: error.fileName } : {}),
      ...(error.actionName !== undefined ? { actionName: error.actionName } : {}),
    };
    if (error.fileName === COMPILER_ENTRY) {
      const match = UNRESOLVED.exec(error.message);
      const owner = match ? owners.get(targetText(match[1] ?? match[2] ?? ''))?.shift() : undefined;
      located = {
        ...(owner?.fileName !== undefined ? { fileName: owner.fileName } : {}),
        ...(owner?.actionName !== undefined ? { actionName: owner.actionName } : {}),
      };
    }
    // `Could not resolve "x"` but `Could not resolve {"schema":"s","name":"x"}`: quote both alike.
    const unresolved = UNRESOLVED.exec(error.message)?.[2];
    const text = unresolved ? `Could not resolve "${targetText(unresolved)}"` : error.message;
    const message = shortenNames(renderJsonTargets(text), shortNames);
    return {
      ...located,
      message,
      ...(message !== error.message ? { detail: error.detail ?? error.message } : {}),
    };
  });
}

/** One line per error, `file: message`, for logs and the CLI. */
export function formatCompilationErrors(errors: readonly CompilationError[]): string[] {
  return errors.map((e) => `${e.fileName ?? '(project)'}: ${e.message}`);
}

/** Every JSON object in a message that is a target, as `schema.name`. */
function renderJsonTargets(message: string): string {
  return message.replace(/\{[^{}]*\}/g, (json) => {
    const target = parseTarget(json);
    return target ? displayNameOf(target) : json;
  });
}

/** How a target is written in an error, as a comparable `schema.name`. */
function targetText(text: string): string {
  const target = parseTarget(text);
  return target ? displayNameOf(target) : text;
}

function parseTarget(json: string): Target | undefined {
  try {
    const value = JSON.parse(json) as unknown;
    if (typeof value !== 'object' || value === null) return undefined;
    const { name, schema } = value as Record<string, unknown>;
    if (typeof name !== 'string') return undefined;
    return typeof schema === 'string' && schema !== '' ? { schema, name } : { name };
  } catch {
    return undefined;
  }
}

/** `database.schema.name` -> `schema.name` for the graph's targets and the errors' actions. */
function databaseQualifiedNames(
  errors: readonly CompilationError[],
  graph: CompiledGraph | undefined,
): Map<string, string> {
  const names = new Map<string, string>();
  for (const target of graph ? knownTargets(graph) : []) {
    if (target.database && target.schema) {
      names.set(`${target.database}.${target.schema}.${target.name}`, displayNameOf(target));
    }
  }
  const database = graph?.projectConfig?.defaultDatabase;
  for (const { actionName } of errors) {
    if (database && actionName?.startsWith(`${database}.`) && !names.has(actionName)) {
      names.set(actionName, actionName.slice(database.length + 1));
    }
  }
  return names;
}

function shortenNames(message: string, names: Map<string, string>): string {
  let result = message;
  // Longest first, so that `p.main.ab` is not half-replaced by `p.main.a`.
  for (const [long, short] of [...names].sort(([a], [b]) => b.length - a.length)) {
    result = result.replace(new RegExp(`(?<![\\w.])${escapeRegExp(long)}(?![\\w.])`, 'g'), () => short);
  }
  return result;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
