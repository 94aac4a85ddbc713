/**
 * The stock `dataform run`/`test` flags that shape compilation (`--timeout`, the project-config
 * overrides), read once for every command that compiles, with the notes SQLite needs.
 */
import type { Command } from 'commander';
import {
  type CompiledGraph,
  type CompileOutcome,
  type CompileOverrides,
  compileProject,
} from '../../adapter/index.js';
import { parseDuration } from '../duration.js';

/** The overrides as commander parses them (the same names), and the compile timeout. */
export interface CompileFlags extends CompileOverrides {
  timeout?: string;
}

/** Every override's key, to pick them out of a command's other flags. */
const OVERRIDE_KEYS: Record<keyof CompileOverrides, true> = {
  defaultDatabase: true,
  defaultSchema: true,
  defaultLocation: true,
  assertionSchema: true,
  databaseSuffix: true,
  schemaSuffix: true,
  tablePrefix: true,
  disableAssertions: true,
};

/** Adds the stock override flags, with the stock names and meanings. */
export function withOverrideFlags(command: Command): Command {
  return command
    .option('--timeout <duration>', 'how long compilation may take (e.g. 30s, 2m), like dataform run')
    .option(
      '--default-schema <schema>',
      "override workflow_settings.yaml's defaultDataset (the default schema)",
    )
    .option('--assertion-schema <schema>', "override workflow_settings.yaml's defaultAssertionDataset")
    .option(
      '--schema-suffix <suffix>',
      'append _<suffix> to every output schema: a separate copy of every table',
    )
    .option(
      '--table-prefix <prefix>',
      'put <prefix>_ before every table name: a separate copy of every table',
    )
    .option(
      '--disable-assertions',
      'skip every assertion, built-in (uniqueKey, nonNull, rowConditions) and manual',
    )
    .option(
      '--default-database <database>',
      'accepted as dataform does; SQLite has one database, so it only renames refs',
    )
    .option(
      '--database-suffix <suffix>',
      'accepted as dataform does; SQLite has one database, so it only renames refs',
    )
    .option(
      '--default-location <location>',
      'accepted as dataform does; SQLite has no locations, so it is ignored',
    );
}

/** What SQLite makes of the flags it has nothing to apply to, one note each. */
export function sqliteNotes(flags: CompileFlags): string[] {
  return [
    ...(flags.defaultDatabase
      ? [
          '--default-database: SQLite keeps every schema in one file; it changes only how refs are written, not where tables go.',
        ]
      : []),
    ...(flags.databaseSuffix
      ? [
          '--database-suffix: SQLite keeps every schema in one file; it changes only how refs are written, not where tables go.',
        ]
      : []),
    ...(flags.defaultLocation ? ['--default-location: SQLite has no locations; ignored.'] : []),
  ];
}

export type FlaggedCompile =
  | { ok: true; graph: CompiledGraph; outcome: Extract<CompileOutcome, { ok: true }> }
  | { ok: false; exitCode: number; message: string }
  | { ok: false; exitCode: number; outcome: Extract<CompileOutcome, { ok: false }> };

/** Compiles with the flags' overrides and timeout; a bad --timeout is a usage error. */
export async function compileWithFlags(
  projectDir: string,
  flags: CompileFlags & { vars?: Record<string, string> },
): Promise<FlaggedCompile> {
  const timeoutMs = flags.timeout === undefined ? undefined : parseDuration(flags.timeout);
  if (flags.timeout !== undefined && timeoutMs === undefined) {
    return {
      ok: false,
      exitCode: 2,
      message: `--timeout expects a duration such as 30s or 2m; got "${flags.timeout}".`,
    };
  }
  const { timeout: _timeout, vars, ...given } = flags;
  // Only the overrides the user gave: an empty one would still change the cache key.
  const overrides = Object.fromEntries(
    Object.entries(given).filter(
      ([key, value]) => key in OVERRIDE_KEYS && value !== undefined && value !== '' && value !== false,
    ),
  ) as CompileOverrides;
  const outcome = await compileProject({
    projectDir,
    ...(vars ? { vars } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    overrides,
  });
  return outcome.ok ? { ok: true, graph: outcome.graph, outcome } : { ok: false, exitCode: 1, outcome };
}
