/**
 * PostgreSQL's failures as the engine's errors, with messages that name the server and the database
 * (never the password) and say what to do. SQLSTATE codes: https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
import { EngineError } from '../executor.js';

/** Where a connection goes, printable. */
export interface ServerPlace {
  host: string;
  port: number;
  database: string;
  user: string;
}

export function describePlace(place: ServerPlace): string {
  return `the PostgreSQL database "${place.database}" on ${place.host}:${place.port} (user ${place.user})`;
}

export function postgresError(place: ServerPlace, error: unknown, sql?: string): EngineError {
  const e = error as { code?: string; message?: string };
  const code = e.code ?? '';
  const reason = e.message ?? String(error);
  const where = describePlace(place);
  const options = sql === undefined ? {} : { sql };
  if (code === '57014')
    return new EngineError(
      'cancelled',
      'The statement was cancelled; its transaction was rolled back.',
      options,
    );
  if (code === '28P01' || code === '28000') {
    return new EngineError(
      'cannot-open',
      `Cannot log in to ${where}: the server refused the user or its password. Check the user and password in the URL.`,
      options,
    );
  }
  if (code === '3D000') {
    return new EngineError(
      'cannot-open',
      `Cannot open ${where}: the server has no such database. Create it (createdb ${place.database}) or fix the name in the URL.`,
      options,
    );
  }
  if (
    code === 'ECONNREFUSED' ||
    code === 'ENOTFOUND' ||
    code === 'EHOSTUNREACH' ||
    code === 'ETIMEDOUT' ||
    code === 'EAI_AGAIN'
  ) {
    return new EngineError(
      'cannot-open',
      `Cannot reach ${where} (${code}). Check that the server runs and that the host and port in the URL are right.`,
      options,
    );
  }
  if (code === '42501')
    return new EngineError(
      'read-only',
      `Permission denied on ${where} (${reason}). Grant the user the rights it needs, or use another user.`,
      options,
    );
  if (code === '40P01' || code === '55P03')
    return new EngineError('busy', `${where}: ${reason}. Try again.`, options);
  if (code === '53100')
    return new EngineError(
      'disk-full',
      `The disk of ${where} is full (${reason}). Free some space and run again.`,
      options,
    );
  if (code === '25006') return new EngineError('read-only', `${where} is read-only (${reason}).`, options);
  return new EngineError('sql', reason, options);
}
