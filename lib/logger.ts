import { secretRedactor } from './secret-redactor.js';

export { type Redactor, secretRedactor } from './secret-redactor.js';

/** The small logging surface every long-running stage takes as a parameter (tests pass a recorder). */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** The secrets a redacting logger removes, so that a wrapper can tell it need not redact again. */
const REDACTS = Symbol('bambuzled.redacts');
type RedactingLogger = Logger & { [REDACTS]: ReadonlySet<string> };

/**
 * Wraps `base` so that every line loses each of `secrets` first. The matcher is built once here,
 * so a line costs the same whatever the number of secrets. When `base` already removes every one
 * of them (another redacting logger), it is returned as it is: one pass per line, not two.
 */
export function redactingLogger(base: Logger, secrets: readonly string[]): Logger {
  const wanted = secrets.filter((secret) => secret.length > 0);
  const covered = (base as Partial<RedactingLogger>)[REDACTS];
  if (covered && wanted.every((secret) => covered.has(secret))) return base;
  if (wanted.length === 0) return base;
  const redact = secretRedactor(wanted);
  const all = new Set([...wanted, ...(covered ?? [])]);
  return {
    info: (message) => base.info(redact(message)),
    warn: (message) => base.warn(redact(message)),
    error: (message) => base.error(redact(message)),
    [REDACTS]: all,
  } as RedactingLogger;
}

/** Logs to stderr with an ISO timestamp and a component tag, after removing every secret it was given. */
export function consoleLogger(component: string, secrets: readonly string[] = []): Logger {
  const line = (level: string, message: string) =>
    `${new Date().toISOString()} ${level} [${component}] ${message}`;
  const plain: Logger = {
    info: (message) => console.error(line('info ', message)),
    warn: (message) => console.error(line('warn ', message)),
    error: (message) => console.error(line('error', message)),
  };
  return redactingLogger(plain, secrets);
}

/**
 * Replaces each secret (an access code, a token) with a mask wherever it appears in `text`. For a
 * one-off call; code that redacts many lines against the same secrets builds a secretRedactor once.
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  return secretRedactor(secrets)(text);
}

/** A logger that keeps what it is told, for tests. */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
  };
}
