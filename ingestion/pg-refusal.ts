import type { WriteRefusal } from './raw-store.js';

/** Where the raw layer's server is, printable (never the password). */
export interface ServerPlace {
  host: string;
  port: number;
  database: string;
  user: string;
}

/** The host, port, database and user of a postgres:// URL; throws for one that is not a URL. */
export function serverPlace(url: string): ServerPlace {
  const parsed = new URL(url);
  return {
    host: parsed.hostname || 'localhost',
    port: Number(parsed.port || 5432),
    database: decodeURIComponent(parsed.pathname.replace(/^\//, '')) || decodeURIComponent(parsed.username),
    user: decodeURIComponent(parsed.username),
  };
}

/**
 * PostgreSQL's refusal of a raw-layer write, in words naming the server and the database (never
 * the password), or null for an error that is not the server's (a bug of ours).
 * SQLSTATE codes: https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
export function pgRefusal(place: ServerPlace, error: unknown): WriteRefusal | null {
  if (!(error instanceof Error)) return null;
  const code = String((error as { code?: unknown }).code ?? '');
  const where = `the PostgreSQL database "${place.database}" on ${place.host}:${place.port}`;
  const reason = error.message;
  if (code === '28P01' || code === '28000')
    return {
      kind: 'refused',
      message: `${where} refused the login of user ${place.user} (${reason}); check the user and password in the URL`,
    };
  if (code === '3D000')
    return {
      kind: 'refused',
      message: `${where} does not exist; create it (createdb ${place.database}) or fix the name in the URL`,
    };
  if (code === '42501')
    return {
      kind: 'permission',
      message: `permission denied on ${where} for user ${place.user} (${reason}); grant it CREATE on the database and the raw schema`,
    };
  if (code === '53100') return { kind: 'disk-full', message: `the disk of ${where} is full (${reason})` };
  if (code === '40P01' || code === '55P03' || code === '40001')
    return { kind: 'busy', message: `${where} is busy (${reason})` };
  if (/^(08|57P|53)/.test(code) || /^E[A-Z]+$/.test(code) || /connect|terminat|timeout/i.test(reason))
    return { kind: 'unavailable', message: `cannot reach ${where} (${code || reason})` };
  // Any other SQLSTATE is still the server's answer (a constraint, a read-only replica): kept and retried.
  if (/^[0-9A-Z]{5}$/.test(code))
    return { kind: 'refused', message: `${where} refused the write (${reason})` };
  return null;
}
