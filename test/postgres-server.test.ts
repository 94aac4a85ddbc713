import { describe, expect, it } from 'vitest';
import { startPostgres } from './helpers/postgres-server.js';

describe('the PostgreSQL test server', () => {
  it('starts as the postgres user on loopback, takes the password, and stops by its PID', async () => {
    const server = await startPostgres();
    try {
      const pg = (await import('pg')).default;
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      expect((await client.query('SELECT current_user AS who')).rows).toEqual([{ who: 'bambuzled' }]);
      await client.end();
      const wrong = new pg.Client({ connectionString: server.url.replace(server.password, 'nope') });
      await expect(wrong.connect()).rejects.toThrow(/password authentication failed/);
    } finally {
      await server.stop();
    }
  });
});
