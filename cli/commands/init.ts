import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';

/** The core version bambuzled compiles with: the new project pins the same one. */
function coreVersion(): string {
  const path = createRequire(import.meta.url).resolve('@dataform/core/package.json');
  return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
}

/** The files of a new project: a source it creates itself, a model, an assertion and a unit test. */
export function starterFiles(name: string): Record<string, string> {
  return {
    'workflow_settings.yaml': `# A Dataform project for SQLite (bambuzled run / bambuzled test).
# No dataformCoreVersion here: package.json pins @dataform/core, so the stock CLI compiles offline.
defaultProject: ${name}
defaultDataset: main
defaultAssertionDataset: assertions
`,
    'package.json': `${JSON.stringify(
      {
        name,
        private: true,
        description: 'A Dataform project run on SQLite by bambuzled',
        dependencies: { '@dataform/core': coreVersion() },
      },
      null,
      2,
    )}\n`,
    '.gitignore': 'node_modules/\n.bambuzled/\n*.db\n*.db-wal\n*.db-shm\n',
    'definitions/sources/raw_orders.sqlx': `config {
  type: "declaration",
  name: "raw_orders",
  description: "Orders as they arrive: one row per order. Created with sample rows by seed_raw_orders."
}
`,
    'definitions/sources/seed_raw_orders.sqlx': `config {
  type: "operations",
  tags: ["setup"],
  description: "Creates raw_orders with a few sample rows if it does not exist yet. Replace it with your own source."
}

CREATE TABLE IF NOT EXISTS raw_orders (id INTEGER PRIMARY KEY, customer TEXT NOT NULL, amount REAL NOT NULL, ordered_at TEXT NOT NULL)
---
INSERT OR IGNORE INTO raw_orders VALUES
  (1, 'ada', 12.5, '2026-01-02T10:00:00Z'),
  (2, 'ada', 30.0, '2026-01-03T11:30:00Z'),
  (3, 'bob', 7.25, '2026-01-03T12:00:00Z')
`,
    'definitions/customer_totals.sqlx': `config {
  type: "table",
  dependencies: ["seed_raw_orders"],
  description: "One row per customer: how many orders and how much in all.",
  columns: {
    customer: "The customer.",
    orders: "How many orders the customer placed.",
    total_amount: "The sum of their amounts."
  },
  assertions: {
    uniqueKey: ["customer"],
    nonNull: ["customer", "orders", "total_amount"],
    rowConditions: ["orders > 0"]
  }
}

SELECT customer, count(*) AS orders, round(sum(amount), 2) AS total_amount
FROM \${ref("raw_orders")}
GROUP BY customer
`,
    'definitions/no_negative_totals.sqlx': `config {
  type: "assertion",
  description: "No customer has a negative total; returns the ones that do."
}

SELECT customer, total_amount FROM \${ref("customer_totals")} WHERE total_amount < 0
`,
    'definitions/customer_totals_test.sqlx': `config {
  type: "test",
  dataset: "customer_totals"
}

input "raw_orders" {
  SELECT 1 AS id, 'ada' AS customer, 2.5 AS amount, '2026-01-01T00:00:00Z' AS ordered_at
  UNION ALL SELECT 2, 'ada', 1.25, '2026-01-02T00:00:00Z'
}

SELECT 'ada' AS customer, 2 AS orders, 3.75 AS total_amount
`,
  };
}

/** `bambuzled init [dir]`: a new Dataform project for SQLite. */
export function registerInit(program: Command): void {
  program
    .command('init')
    .description('Create a new Dataform project for SQLite: a source, a model, an assertion and a unit test.')
    .argument('[dir]', 'the folder to create it in (new or empty)', '.')
    .action((dir: string) => {
      process.exitCode = initCommand(dir);
    });
}

function initCommand(dir: string): number {
  const target = resolve(dir);
  if (existsSync(target) && readdirSync(target).length > 0) {
    console.error(`${target} is not empty. Pass a new or empty folder: bambuzled init my-project`);
    return 2;
  }
  const name = (target.split(/[\\/]/).pop() ?? 'project').replace(/[^A-Za-z0-9_-]/g, '_') || 'project';
  try {
    for (const [path, content] of Object.entries(starterFiles(name))) {
      mkdirSync(dirname(join(target, path)), { recursive: true });
      writeFileSync(join(target, path), content);
    }
  } catch (error) {
    console.error(
      `Cannot write the project into ${target}: ${(error as Error).message}. Pick a folder you can write to.`,
    );
    return 2;
  }
  console.log(`Created a Dataform project for SQLite in ${target}.
Next:
  cd ${dir}
  npm install                      # @dataform/core, for the stock \`dataform compile\` (bambuzled compiles without it)
  npx bambuzled test               # the unit test
  npx bambuzled run --db data.db   # builds raw_orders' sample rows, customer_totals, and checks the assertions`);
  return 0;
}
