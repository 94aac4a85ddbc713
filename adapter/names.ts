/**
 * The one place where Dataform targets become SQLite names, and where the BigQuery identifiers the
 * stock compiler writes for ref()/self()/resolve() are rewritten into them.
 */
import type { CompiledGraph, ProjectConfig, Target } from './types.js';

/**
 * The SQLite table or view name for a Dataform target. Everything lives in one database file (a view
 * cannot reference another attached database), so the schema is folded into the name: the default
 * schema maps to the bare name, any other schema to `${schema}__${name}`.
 */
export function sqliteNameOf(target: Target, config: ProjectConfig | undefined): string {
  const schema = target.schema ?? '';
  if (schema === '' || schema === (config?.defaultSchema ?? '')) return target.name;
  return `${schema}__${target.name}`;
}

/** `schema.name`, the way Dataform prints an action (and the key actions are known by). */
export function displayNameOf(target: Target): string {
  return target.schema ? `${target.schema}.${target.name}` : target.name;
}

/** A key that identifies a target across the graph (database, schema and name). */
export function targetKey(target: Target): string {
  return JSON.stringify([target.database ?? '', target.schema ?? '', target.name]);
}

/** Quotes an identifier for SQLite. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Rewrites the compiler's backtick identifiers of known targets; leaves every other identifier alone. */
export type RefRewriter = (sql: string) => string;

/** Every target the graph knows: datasets, operations, assertions and declarations. */
export function knownTargets(graph: CompiledGraph): Target[] {
  return [
    ...(graph.tables ?? []).map((a) => a.target),
    ...(graph.operations ?? []).map((a) => a.target),
    ...(graph.assertions ?? []).map((a) => a.target),
    ...(graph.declarations ?? []).map((a) => a.target),
  ];
}

/**
 * Builds the rewriter for a graph. The stock compiler renders a resolved target as one BigQuery
 * identifier, `` `database.schema.name` `` (or `` `schema.name` `` without a database), which SQLite
 * would read as a single name containing dots.
 *
 * `substitutes` (by `targetKey`) replace a target's identifier with other SQL, e.g. a parenthesized
 * subquery over the table: this is how a built-in assertion is scoped to the rows a run wrote.
 * `naming` is the engine's (SQLite's by default): how it names and quotes a target.
 */
export function refRewriterFor(
  graph: CompiledGraph,
  substitutes?: ReadonlyMap<string, string>,
  naming: { objectName: typeof sqliteNameOf; quote: (name: string) => string } = {
    objectName: sqliteNameOf,
    quote: quoteIdentifier,
  },
): RefRewriter {
  const config = graph.projectConfig;
  const replacements = new Map<string, string>();
  for (const target of knownTargets(graph)) {
    const quoted = substitutes?.get(targetKey(target)) ?? naming.quote(naming.objectName(target, config));
    if (target.database) replacements.set(`${target.database}.${target.schema ?? ''}.${target.name}`, quoted);
    if (target.schema) replacements.set(`${target.schema}.${target.name}`, quoted);
  }
  return (sql) => sql.replace(/`([^`\n]+)`/g, (whole, inner: string) => replacements.get(inner) ?? whole);
}

/**
 * Fixes the string literal of built-in rowConditions assertions: the compiler escapes quotes
 * BigQuery-style (`'a <> \'x\''`), which SQLite reads as a broken literal. Only the literal that
 * precedes `AS failing_row_condition` is touched.
 */
export function fixRowConditionLiterals(sql: string): string {
  return sql.replace(
    /'((?:\\.|[^'\\])*)'(\s+AS\s+failing_row_condition)/g,
    (_whole, body: string, rest: string) => `'${unescapeBigQuery(body).replaceAll("'", "''")}'${rest}`,
  );
}

function unescapeBigQuery(body: string): string {
  return body.replace(/\\(.)/g, '$1');
}
