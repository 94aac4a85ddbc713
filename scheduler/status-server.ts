import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AsyncExecutor, isServerUrl, type RunHistory } from '../adapter/index.js';
import {
  checkPost,
  checkToken,
  contentSecurityPolicy,
  createGuardedServer,
  type GuardSettings,
  hideMachinePaths,
  type Logger,
  type MachineNames,
  type PathReplacement,
  pathReplacements,
  projectShownAs,
} from '../lib/index.js';
import { chartLibrary } from './chart-library.js';
import { ProjectCompileError, RunLockLostError, SchedulerBusyError, SchedulerConfigError } from './errors.js';
import { answerHistory, moonrakerError } from './history-api.js';
import { jobsPerDay, renderJobsChart } from './jobs-chart.js';
import { listenerWrites } from './listener-writes.js';
import { ownersFigures } from './owners-figures.js';
import { type PageReader, printersSeen, recentJobs } from './print-history.js';
import type { RunNowRequest, Scheduler } from './scheduler.js';
import { selectionFlags } from './selection-flags.js';
import { renderStatusPage, statusPageScript } from './status-page.js';

export interface StatusServerOptions {
  scheduler: Scheduler;
  /** Where the page reads the database; the scheduler's control connection unless given. */
  executor?: AsyncExecutor;
  port?: number;
  /** Loopback by default: the page can start runs, so it is not offered to the network unless asked. */
  host?: string;
  /** When set, the API needs `Authorization: Bearer <token>`. Never shown or logged. */
  token?: string;
  /**
   * Host names accepted besides the bind address's own (on a wildcard bind: loopback, the machine's
   * addresses and hostname), e.g. a reverse proxy's or a LAN name; any other Host header is refused.
   */
  allowedHosts?: readonly string[];
  /** The machine's names and addresses (read from the OS at start unless given). */
  machine?: MachineNames;
  logger?: Logger;
  now?: () => Date;
  /** The listener's health file (ingestion's listenerHealthPath): the page says when its writes fail. */
  listenerHealthFile?: string;
}

export interface StatusServer {
  /** e.g. http://127.0.0.1:3000/ */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** An API failure with its HTTP status; anything else is a 500. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const MAX_BODY_BYTES = 64 * 1024;

/**
 * The status page and its JSON API (the role of the Dagster UI), on node:http with no framework.
 * GET /, /assets/chart.umd.min.js, /api/status, /api/runs, /api/runs/:id, /api/ticks, /api/history,
 * /api/jobs, /api/printers, /api/owners, and Moonraker's /server/history/list, /job, /totals
 * (history-api.ts); POST /api/run, /api/run/cancel, /api/sensor/reset, /api/sensor/start,
 * /api/sensor/stop. Every read goes through one async connection, so the page never waits on a
 * statement of a run.
 */
export async function startStatusServer(options: StatusServerOptions): Promise<StatusServer> {
  const host = options.host ?? '127.0.0.1';
  const requestedPort = options.port ?? 3000;
  if (!Number.isInteger(requestedPort) || requestedPort < 0 || requestedPort > 65_535) {
    throw new SchedulerConfigError(`The port ${requestedPort} is not valid; use a number from 1 to 65535.`);
  }
  const hidden = machinePaths(options.scheduler);
  // The shared HTTP layer refuses foreign Host names and sets the security headers on every answer.
  const { server } = createGuardedServer({
    host,
    ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}),
    ...(options.machine ? { machine: options.machine } : {}),
    ...(options.token ? { token: options.token } : {}),
    handle: (request, response, guard) =>
      handle(request, response, options, guard, (status, payload) =>
        sendJson(response, status, hideMachinePaths(payload, hidden)),
      ),
    onError: (error, _request, response) => {
      const status = error instanceof HttpError ? error.status : statusOf(error);
      if (status >= 500) options.logger?.error(`status page: ${messageOf(error)}`);
      sendJson(response, status, hideMachinePaths({ error: messageOf(error) }, hidden));
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(requestedPort, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * The machine's paths the answers must not show, as their names: the project folder and a SQLite
 * file (run errors and compile messages quote them). A server's URL comes without its password already.
 */
function machinePaths(scheduler: Scheduler): PathReplacement[] {
  const { projectDir, database } = scheduler.places;
  return pathReplacements({ projectDir, files: isServerUrl(database) ? [] : [database] });
}

/** Sends a JSON answer, the machine's paths hidden. */
type Send = (status: number, payload: unknown) => void;

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  options: StatusServerOptions,
  guard: GuardSettings,
  send: Send,
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://status.invalid');
  const path = url.pathname;
  const method = request.method ?? 'GET';

  if (path === '/' && (method === 'GET' || method === 'HEAD')) {
    const nonce = randomBytes(16).toString('base64');
    response.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      // Scripts are files from this origin: the page's bundle and the charting library, both served
      // below (never a CDN); the nonce is for the page's one inline stylesheet.
      'content-security-policy': contentSecurityPolicy({ nonce, images: 'data:' }),
    });
    response.end(method === 'HEAD' ? undefined : renderStatusPage({ csrfToken: guard.csrfToken, nonce }));
    return;
  }
  if (path === '/assets/status-page.js' && (method === 'GET' || method === 'HEAD')) {
    response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
    response.end(method === 'HEAD' ? undefined : statusPageScript());
    return;
  }
  if (path === '/assets/chart.umd.min.js' && (method === 'GET' || method === 'HEAD')) {
    const library = chartLibrary();
    if (library === null)
      throw new HttpError(404, 'The charting library (chart.js) is not installed: run npm install.');
    response.writeHead(200, {
      'cache-control': 'public, max-age=86400',
      'content-type': 'text/javascript; charset=utf-8',
    });
    response.end(method === 'HEAD' ? undefined : library);
    return;
  }
  if (path.startsWith('/server/history/')) {
    // Moonraker's history API: its own error shape, the same token as the rest of the API.
    const token = checkToken(request.headers, guard);
    if (!token.ok) return send(token.status, moonrakerError(token.status, token.message));
    if (method !== 'GET') {
      return send(405, moonrakerError(405, `${method} is not supported here: the history is read-only.`));
    }
    const executor = options.executor ?? (await options.scheduler.control());
    const answer = await answerHistory(
      path,
      url.searchParams,
      (sql, params) => executor.query(sql, params),
      options.now?.() ?? new Date(),
    );
    return send(answer.status, answer.body);
  }
  if (!path.startsWith('/api/')) throw new HttpError(404, `Nothing at ${path}. The status page is at /.`);
  refuseUnless(checkToken(request.headers, guard));
  const { scheduler } = options;

  if (method === 'GET') {
    const executor = options.executor ?? (await scheduler.control());
    const reader: PageReader = {
      query: (sql, params) => executor.query(sql, params),
      columns: async (name) => (await executor.describe(name))?.columns.map((column) => column.name),
    };
    const history = await scheduler.history();
    const limit = clampLimit(url.searchParams.get('limit'));
    if (path === '/api/status') {
      const sensor = await scheduler.status();
      send(200, {
        sensor: {
          ...sensor,
          projectDir: projectShownAs(sensor.projectDir),
          selectionFlags: selectionFlags(sensor.selection),
        },
        assertions: await assertionResults(history),
        listener: options.listenerHealthFile
          ? listenerWrites(options.listenerHealthFile, options.now?.() ?? new Date())
          : null,
      });
      return;
    }
    if (path === '/api/runs') {
      const runs = (await history.listRuns({ limit })).map((run) => ({
        ...run,
        flags: selectionFlags(run.selection, run.fullRefresh),
      }));
      send(200, { runs });
      return;
    }
    const runMatch = /^\/api\/runs\/(\d+)$/.exec(path);
    if (runMatch) {
      const run = await history.getRun(Number(runMatch[1]));
      if (!run)
        throw new HttpError(404, `There is no run ${runMatch[1]} in the history (it may have been pruned).`);
      send(200, { run: { ...run, flags: selectionFlags(run.selection, run.fullRefresh) } });
      return;
    }
    if (path === '/api/ticks') {
      send(200, { ticks: await scheduler.ticks(limit) });
      return;
    }
    if (path === '/api/history') {
      const days = await jobsPerDay(reader.query, {
        days: 30,
        ...(options.now ? { now: options.now() } : {}),
      });
      // Drawn at the width the page shows it (its card's), so that the labels keep their size.
      const width = clampNumber(url.searchParams.get('width'), { min: 320, max: 2400, fallback: 640 });
      send(200, { days, svg: renderJobsChart(days, { width, height: 180 }) });
      return;
    }
    if (path === '/api/jobs') {
      send(200, await recentJobs(reader, { limit: Math.min(limit, 200) }));
      return;
    }
    if (path === '/api/owners') {
      send(200, await ownersFigures(reader.query, { jobs: Math.min(limit, 100) }));
      return;
    }
    if (path === '/api/printers') {
      send(200, {
        printers: await printersSeen(reader, options.now ? { now: options.now() } : {}),
      });
      return;
    }
    throw new HttpError(404, `No API at GET ${path}.`);
  }

  if (method !== 'POST') throw new HttpError(405, `${method} is not supported here.`);
  refuseUnless(checkPost(request.headers, guard));
  const body = await readJson(request);
  if (path === '/api/run') {
    const run = await scheduler.runNow(runRequestOf(body));
    send(200, { run });
    return;
  }
  if (path === '/api/run/cancel') {
    // Resolves once the run has ended (CANCELLED), so that the page's next refresh shows it so.
    if (!(await scheduler.cancel('cancelled from the status page'))) {
      throw new HttpError(409, 'No run is in progress in this scheduler, so there is nothing to cancel.');
    }
    send(200, { cancelled: true });
    return;
  }
  if (path === '/api/sensor/reset') {
    const to = body.to === undefined || body.to === null || body.to === '' ? 0 : Number(body.to);
    if (!Number.isInteger(to) || to < 0) throw new HttpError(400, 'The cursor must be a whole number ≥ 0.');
    send(200, await scheduler.resetCursor(to));
    return;
  }
  if (path === '/api/sensor/start') {
    scheduler.start();
    send(200, { state: (await scheduler.status()).state });
    return;
  }
  if (path === '/api/sensor/stop') {
    // Pauses the sensor; a run in flight finishes ("Cancel run" is the way to stop one).
    await scheduler.stop({ cancelRun: false });
    send(200, { state: (await scheduler.status()).state });
    return;
  }
  throw new HttpError(404, `No API at POST ${path}.`);
}

/** The latest result of each assertion, with its failing row count. */
async function assertionResults(history: RunHistory) {
  return [...(await history.latestActionResults()).values()]
    .filter((action) => action.kind === 'assertion')
    .map((action) => ({
      name: action.name,
      status: action.status,
      // A passing assertion has no failingRows sample; it returned rowsAffected (0) rows.
      failingRows: action.failingRows?.count ?? action.rowsAffected ?? null,
      sample: action.failingRows?.sample.slice(0, 3) ?? [],
      endedAt: action.endedAt,
      error: action.error ?? null,
    }));
}

function runRequestOf(body: Record<string, unknown>): RunNowRequest {
  return {
    tags: listOf(body.tags),
    actions: listOf(body.actions),
    includeDeps: body.includeDeps === true,
    includeDependents: body.includeDependents === true,
    fullRefresh: body.fullRefresh === true,
  };
}

/** Accepts ["a","b"] or "a, b". */
function listOf(value: unknown): string[] {
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [];
  return items.filter((item): item is string => typeof item === 'string').flatMap((s) => s.trim() || []);
}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'The request body is too large.');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // fall through to the message below
  }
  throw new HttpError(400, 'The request body must be a JSON object.');
}

function refuseUnless(outcome: { ok: true } | { ok: false; status: number; message: string }): void {
  if (!outcome.ok) throw new HttpError(outcome.status, outcome.message);
}

function clampLimit(raw: string | null): number {
  const n = Number(raw ?? 50);
  return Number.isInteger(n) && n > 0 ? Math.min(n, 500) : 50;
}

function clampNumber(raw: string | null, range: { min: number; max: number; fallback: number }): number {
  const n = Math.round(Number(raw ?? Number.NaN));
  return Number.isFinite(n) ? Math.min(range.max, Math.max(range.min, n)) : range.fallback;
}

function statusOf(error: unknown): number {
  if (error instanceof SchedulerBusyError || error instanceof RunLockLostError) return 409;
  if (error instanceof ProjectCompileError) return 422;
  return 500;
}

function sendJson(response: ServerResponse, status: number, payload: unknown): void {
  if (response.headersSent) {
    response.end();
    return;
  }
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(payload));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
