import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  acceptedHostsFor,
  checkHost,
  type GuardSettings,
  isWildcardBind,
  type MachineNames,
  machineNames,
} from './request-guard.js';
import { securityHeaders } from './security-headers.js';

export interface GuardedServerOptions {
  /** The bind address: it decides which Host names are accepted. */
  host: string;
  /** Names accepted besides the bind address's own (`--allowed-host`: a reverse proxy, a LAN name). */
  allowedHosts?: readonly string[];
  /** The machine's names and addresses (read from the OS unless given). */
  machine?: MachineNames;
  /** When set, the routes that ask for it need `Authorization: Bearer <token>`. */
  token?: string;
  /** Answers a request that passed the Host check; `guard` holds the token and CSRF settings. */
  handle(request: IncomingMessage, response: ServerResponse, guard: GuardSettings): Promise<void>;
  /** Answers a request whose handler threw (the default: a plain 500 naming no internals). */
  onError?(error: unknown, request: IncomingMessage, response: ServerResponse): void;
}

/**
 * The HTTP layer both servers (the status page and the docs site) stand on: every answer carries the
 * security headers, and a request whose Host header names another site (DNS rebinding: a page on
 * evil.example that points its name at this machine) is refused with a plain reason before any
 * handler sees it. Token and CSRF checks (request-guard.ts) use the settings passed to the handler,
 * so the page and its POSTs are guarded the same way on both servers.
 */
export function createGuardedServer(options: GuardedServerOptions): { server: Server; guard: GuardSettings } {
  const guard: GuardSettings = {
    csrfToken: randomBytes(24).toString('base64url'),
    ...(options.token ? { token: options.token } : {}),
    allowedHosts: acceptedHostsFor(options.host, {
      ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}),
      machine: options.machine ?? machineNames(),
    }),
    wildcardBind: isWildcardBind(options.host),
  };
  const server = createServer((request, response) => {
    for (const [name, value] of Object.entries(securityHeaders())) response.setHeader(name, value);
    const host = checkHost(request.headers, guard);
    if (!host.ok) {
      sendPlain(response, host.status, host.message);
      return;
    }
    options.handle(request, response, guard).catch((error: unknown) => {
      if (options.onError) options.onError(error, request, response);
      else sendPlain(response, 500, 'Internal error; see the server log.');
    });
  });
  return { server, guard };
}

/** A plain-text answer (a refusal or an error), or the end of one already started. */
export function sendPlain(response: ServerResponse, status: number, message: string): void {
  if (response.headersSent) {
    response.end();
    return;
  }
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  response.end(`${message}\n`);
}
