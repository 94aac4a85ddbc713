/** The rows one incremental merge (or several, since the last check) wrote, as SQL can find them. */
export interface WrittenRows {
  /** The merged table. */
  table: string;
  /** Rows inserted since the last check lie above this position (SQLite: rowid). */
  rowidAbove: number;
  /** For an upsert of this run: the staging table holding the merged rows, and the unique key. */
  stage?: { name: string; keys: string[] };
  /** How many rows were written (for the run output). */
  count: number;
}
