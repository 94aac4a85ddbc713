import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { networkInterfaces, hostname as osHostname } from 'node:os';

export interface GuardSettings {
  /** When set, every API request needs `Authorization: Bearer <token>`. */
  token?: string;
  /** The token embedded in the page, proof that a browser request comes from it. */
  csrfToken: string;
  /** Host names (no port) accepted (DNS-rebinding defence); undefined accepts any. */
  allowedHosts?: ReadonlySet<string>;
  /** The server listens on every interface, so a refused name may be the user's own: say how to allow it. */
  wildcardBind?: boolean;
}

export type GuardOutcome = { ok: true } | { ok: false; status: number; message: string };

/** The names and addresses this machine answers to (on a wildcard bind, the only ones accepted). */
export interface MachineNames {
  hostname: string;
  addresses: readonly string[];
}

const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]', '::1'];

/** Whether a bind address is reachable from this machine only (127.0.0.0/8, ::1, localhost). */
export function isLoopbackBind(host: string): boolean {
  const name = hostName(host);
  return name === 'localhost' || name === '[::1]' || /^127(\.\d{1,3}){3}$/.test(name);
}

/** Whether `host` is a bind address that listens on every interface. */
export function isWildcardBind(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]' || host === '';
}

/** Host names a specific bind address implies; undefined for a wildcard bind (see acceptedHostsFor). */
export function allowedHostsFor(host: string): ReadonlySet<string> | undefined {
  if (isWildcardBind(host)) return undefined;
  return new Set([host, ...(LOOPBACK_HOSTS.includes(host) ? LOOPBACK_HOSTS : [])].map(hostName));
}

/**
 * Every host name the server at `host` accepts in a Host header: the bind address's own names, or on
 * a wildcard bind the loopback names plus the machine's addresses and hostname (never "any": a page
 * on another site that rebinds its name to this machine sends its own name, which must be refused),
 * plus the names given explicitly (`--allowed-host`, for a reverse proxy or a LAN name).
 */
export function acceptedHostsFor(
  host: string,
  options: { allowedHosts?: readonly string[]; machine?: MachineNames } = {},
): ReadonlySet<string> {
  const implied = allowedHostsFor(host) ?? [
    ...LOOPBACK_HOSTS,
    ...(options.machine ? [options.machine.hostname, ...options.machine.addresses] : []),
  ];
  return new Set([...implied, ...(options.allowedHosts ?? [])].filter((name) => name !== '').map(hostName));
}

/** The machine's hostname and interface addresses, read now. */
export function machineNames(): MachineNames {
  const addresses = Object.values(networkInterfaces()).flatMap((list) =>
    (list ?? []).map((entry) => entry.address),
  );
  return { hostname: osHostname(), addresses };
}

/**
 * The host name of a Host header or of a name given by the user, lower-cased, without its port and
 * with an IPv6 address in brackets ("[::1]:3000" -> "[::1]", "fd00::1" -> "[fd00::1]").
 */
export function hostName(value: string): string {
  const text = value.trim().toLowerCase();
  if (text.startsWith('[')) return text.slice(0, text.indexOf(']') + 1 || undefined);
  const colons = text.split(':').length - 1;
  if (colons > 1) return `[${text}]`;
  return colons === 1 ? text.slice(0, text.indexOf(':')) : text;
}

/**
 * Checks the Host header: a page on another site that rebinds its name to this machine sends its own
 * name, which is refused (the port does not matter: only the name is the attacker's to choose).
 */
export function checkHost(headers: IncomingHttpHeaders, settings: GuardSettings): GuardOutcome {
  if (!settings.allowedHosts) return { ok: true };
  const host = (headers.host ?? '').toLowerCase();
  const name = hostName(host);
  if (name !== '' && settings.allowedHosts.has(name)) return { ok: true };
  const advice = name
    ? ` If you reach it by this name (a reverse proxy, a LAN name), start it with --allowed-host ${name.replace(/^\[|\]$/g, '')}.`
    : '';
  return {
    ok: false,
    status: settings.wildcardBind ? 403 : 421,
    message: `This server does not answer to the host "${host}".${advice}`,
  };
}

/** Checks the bearer token when one is configured. */
export function checkToken(headers: IncomingHttpHeaders, settings: GuardSettings): GuardOutcome {
  if (!settings.token) return { ok: true };
  const header = headers.authorization ?? '';
  const given = header.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : '';
  if (given && sameSecret(given, settings.token)) return { ok: true };
  return {
    ok: false,
    status: 401,
    message:
      'This server needs a token: send "Authorization: Bearer <token>" (open the page as /#token=<token>).',
  };
}

/**
 * Refuses cross-site POSTs: the body must be JSON (a plain HTML form cannot send that without a
 * CORS preflight, which this server never grants), nothing may mark the request as cross-site, and
 * the request must prove it is same-origin (Origin or Sec-Fetch-Site) or carry the page's CSRF token.
 */
export function checkPost(headers: IncomingHttpHeaders, settings: GuardSettings): GuardOutcome {
  const contentType = (headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (contentType !== 'application/json') {
    return {
      ok: false,
      status: 415,
      message: 'Send the request body as JSON (Content-Type: application/json).',
    };
  }
  const fetchSite = headerValue(headers['sec-fetch-site']);
  if (fetchSite && fetchSite !== 'same-origin' && fetchSite !== 'none') {
    return {
      ok: false,
      status: 403,
      message: `Cross-site requests are refused (Sec-Fetch-Site: ${fetchSite}).`,
    };
  }
  const origin = headerValue(headers.origin);
  const sameOrigin = origin !== undefined && origin === `http://${headers.host ?? ''}`;
  if (origin !== undefined && !sameOrigin) {
    return { ok: false, status: 403, message: `Cross-origin requests are refused (Origin: ${origin}).` };
  }
  const csrf = headerValue(headers['x-csrf-token']);
  if (sameOrigin || fetchSite === 'same-origin' || (csrf && sameSecret(csrf, settings.csrfToken))) {
    return { ok: true };
  }
  return {
    ok: false,
    status: 403,
    message: 'Send an Origin header that matches this server, or the X-CSRF-Token from the status page.',
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
