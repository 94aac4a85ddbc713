import type { Command } from 'commander';
import {
  type CompiledGraph,
  type CompileOutcome,
  compileProject,
  displayNameOf,
  graphActions,
} from '../../adapter/index.js';

/** Collects a flag given several times and as comma lists (`--tags a,b --tags c`), like dataform's. */
export function collectList(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v.length > 0),
  ];
}

/** Turns `k=v` pairs into vars; a pair without `=` is a usage error. */
export function parseVars(
  pairs: string[] | undefined,
): { ok: true; vars: Record<string, string> } | { ok: false; message: string } {
  const vars: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) {
      return {
        ok: false,
        message: `--vars expects key=value pairs (e.g. --vars env=dev,days=7); got "${pair}".`,
      };
    }
    vars[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return { ok: true, vars };
}

/** The graph as the stock `dataform compile --json` prints it. */
export function graphJson(graph: CompiledGraph): string {
  return JSON.stringify(graph, null, 4);
}

/** Compilation errors, one per line with the file that caused each. */
export function formatCompileErrors(outcome: Extract<CompileOutcome, { ok: false }>): string {
  const lines = outcome.errors.map((e) => `  ${e.fileName ?? '(project)'}: ${e.message}`);
  return `Compilation failed:\n${lines.join('\n')}`;
}

/** Dataform-like text: the count, then datasets, assertions, operations and declarations. */
export function formatGraph(graph: CompiledGraph, fromCache: boolean, durationMs: number): string {
  const actions = graphActions(graph);
  const datasets = actions.filter((a) => a.kind === 'table' || a.kind === 'view' || a.kind === 'incremental');
  const assertions = actions.filter((a) => a.kind === 'assertion');
  const operations = actions.filter((a) => a.kind === 'operations');
  const declarations = graph.declarations ?? [];
  const flag = (disabled: boolean) => (disabled ? ' [disabled]' : '');
  const section = (title: string, lines: string[]) =>
    lines.length > 0 ? [`${lines.length} ${title}(s):`, ...lines.map((l) => `  ${l}`)] : [];
  const origin = fromCache ? ' (from cache: no definition changed since the last compile)' : '';
  return [
    `Compiled ${actions.length} action(s) in ${(durationMs / 1000).toFixed(2)}s${origin}.`,
    ...section(
      'dataset',
      datasets.map((a) => `${a.name} [${a.kind}]${flag(a.disabled)}`),
    ),
    ...section(
      'assertion',
      assertions.map((a) => `${a.name}${flag(a.disabled)}`),
    ),
    ...section(
      'operation',
      operations.map((a) => `${a.name}${a.operation.hasOutput ? ' [has output]' : ''}${flag(a.disabled)}`),
    ),
    ...section(
      'declaration',
      declarations.map((d) => displayNameOf(d.target)),
    ),
  ].join('\n');
}

interface CompileFlags {
  json?: boolean;
  vars?: string[];
  cache: boolean;
}

/** `bambuzled compile [project-dir] [--json] [--vars k=v,...]`. */
export function registerCompile(program: Command): void {
  program
    .command('compile')
    .description('Compile a Dataform project with the stock compiler and print its graph.')
    .argument('[project-dir]', 'the Dataform project folder', '.')
    .option('--json', 'print the compiled graph as JSON, exactly as `dataform compile --json` does')
    .option(
      '--vars <k=v...>',
      'project variables, overriding workflow_settings.yaml (k=v,k2=v2)',
      collectList,
    )
    .option('--no-cache', 'compile again even if no definition changed')
    .action(async (projectDir: string, flags: CompileFlags) => {
      const parsed = parseVars(flags.vars);
      if (!parsed.ok) {
        console.error(parsed.message);
        process.exitCode = 1;
        return;
      }
      const outcome = await compileProject({ projectDir, vars: parsed.vars, cache: flags.cache });
      if (!outcome.ok) {
        console.error(formatCompileErrors(outcome));
        process.exitCode = 1;
        return;
      }
      if (flags.json) {
        // Byte for byte what the stock CLI prints: nothing else on stdout, nor on stderr.
        console.log(graphJson(outcome.graph));
        return;
      }
      if (outcome.note) console.error(outcome.note);
      console.log(formatGraph(outcome.graph, outcome.fromCache, outcome.durationMs));
    });
}
