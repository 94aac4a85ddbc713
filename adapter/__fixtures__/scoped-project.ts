// The project of the scoped-assertion tests, on SQLite (scoped-assertions.test.ts) and PostgreSQL.
/**
 * Two incremental tables over one source with a change sequence: `events` upserts on id, `event_log`
 * appends. Both carry built-in assertions, and the append-only one a uniqueKey assertion on a column
 * that has no UNIQUE index, so that a duplicate of an old row can only be found by key.
 */
export const SCOPED_PROJECT: Record<string, string> = {
  'workflow_settings.yaml': 'defaultProject: shop\ndefaultDataset: main\ndefaultAssertionDataset: checks\n',
  'definitions/src_events.sqlx': 'config { type: "declaration", name: "src_events" }\n',
  'definitions/events.sqlx': `config {
  type: "incremental",
  uniqueKey: ["id"],
  assertions: { uniqueKey: ["id"], nonNull: ["id", "amount"], rowConditions: ["amount >= 0"] }
}
SELECT id, amount, seq FROM \${ref("src_events")}
\${when(incremental(), \`WHERE seq > (SELECT coalesce(max(seq), 0) FROM \${self()})\`)}
`,
  'definitions/event_log.sqlx': `config {
  type: "incremental",
  assertions: { uniqueKey: ["id"], rowConditions: ["amount >= 0"] }
}
SELECT id, amount, seq, amount * 2 AS doubled FROM \${ref("src_events")}
\${when(incremental(), \`WHERE seq > (SELECT coalesce(max(seq), 0) FROM \${self()})\`)}
`,
  'definitions/event_totals.sqlx': `config { type: "view" }
SELECT count(*) AS n, sum(amount) AS total, 'x' || id AS label, NULL AS always_null FROM \${ref("events")} GROUP BY id
`,
};
