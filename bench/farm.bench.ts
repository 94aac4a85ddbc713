import { type ChildProcess, execFileSync, fork, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { ListenerConfig } from '../ingestion/config.js';
import { type Listener, startListener } from '../ingestion/listener.js';
import { migrateRawSchema } from '../ingestion/raw-schema.js';
import { ThreadedRawStore } from '../ingestion/threaded-raw-store.js';
import { secretRedactor } from '../lib/secret-redactor.js';
import { openDatabase, type SqliteDatabase, setBusyTimeout } from '../lib/sqlite.js';
import type { FarmHostMessage, FarmHostSpec, HostedPrinterInfo, PlayedJob } from '../simulator/farm-host.js';
import type { BenchFigure, BenchReport } from './report.js';

/**
 * One listener process and a farm of simulated printers, each its own TLS server with its own
 * certificate (trusted on first use), held by child processes a few hundred each so that the
 * listener's event loop and memory are measured alone. The printers play jobs (finishes, pauses,
 * cancels of both firmware kinds, failures) with a progress delta every 2 s while printing.
 * Phase 1: the listener alone. Phase 2: `bambuzled schedule` on the same SQLite file in another
 * process, its sensor looking every second.
 *
 * Knobs (environment): BAMBUZLED_FARM_PRINTERS (default 200), BAMBUZLED_FARM_PLAY_S (seconds of
 * jobs per phase, default 40), BAMBUZLED_FARM_JOB_SCALE (job length as a share of 1–2.5 min,
 * default 0.25), BAMBUZLED_FARM_PER_HOST (printers per child, default 500),
 * BAMBUZLED_FARM_SCHEDULER=0 to skip phase 2, BAMBUZLED_FARM_WRITER=inline to write on the listener's
 * own thread (the synchronous RawWriter) instead of the raw writer's thread `listen` uses,
 * BAMBUZLED_FARM_DUMP=file to write what the printers whose jobs came out wrong played and what the
 * raw layer holds of them, BAMBUZLED_FARM_PIN_SIMULATORS=1 to keep the simulated printers on the
 * machine's last core (taskset), as a real farm's printers are machines of their own: they take at
 * most that core from the listener and the scheduler. Built only
 * (dist-bench/): `npm run build && npm run build:bench && BAMBUZLED_FARM_PRINTERS=5000 node
 * dist-bench/bench/farm.bench.js`.
 */
const env = process.env;
const PRINTERS = Number(env.BAMBUZLED_FARM_PRINTERS ?? 200);
const PLAY_MS = Number(env.BAMBUZLED_FARM_PLAY_S ?? 40) * 1000;
const JOB_SCALE = Number(env.BAMBUZLED_FARM_JOB_SCALE ?? 0.25);
const PER_HOST = Number(env.BAMBUZLED_FARM_PER_HOST ?? 500);
const WITH_SCHEDULER = env.BAMBUZLED_FARM_SCHEDULER !== '0';
const INLINE_WRITER = env.BAMBUZLED_FARM_WRITER === 'inline';
/** The core the simulated printers are kept on, or null when they share every core with the listener. */
const SIMULATOR_CORE =
  env.BAMBUZLED_FARM_PIN_SIMULATORS === '1' && availableParallelism() > 1 ? availableParallelism() - 1 : null;
/** BAMBUZLED_FARM_PACING=16,4: the listener's connect pacing (handshakes in flight, started per turn), to compare. */
const PACING = env.BAMBUZLED_FARM_PACING?.split(',').map(Number);

const TARGET_END_TO_RAW_P99_MS = 50;
const TARGET_STALL_MS = 100;
const TARGET_RSS_PER_PRINTER_MB = 0.25;
const TARGET_HANDLING_P95_MS = 10;
const TARGET_END_TO_BRZ_P95_MS = 250;

/** Keeps a host on one core, at once: the threads it starts later inherit the affinity. */
function pinToCore(child: ChildProcess, core: number): void {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(core), String(child.pid)], { stdio: 'ignore' });
  } catch (error) {
    child.kill();
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `BAMBUZLED_FARM_PIN_SIMULATORS=1 needs taskset (Debian's util-linux) to pin the simulated printers to core ${core}: ${reason}. Install it or leave the variable unset.`,
    );
  }
}

interface Host {
  child: ChildProcess;
  printers: HostedPrinterInfo[];
  certMs: number;
  next(): Promise<FarmHostMessage>;
}

async function startHost(script: string, spec: FarmHostSpec): Promise<Host> {
  // Not the driver's node flags: a --cpu-prof of the listener should not profile 10 hosts too.
  const child = fork(script, [JSON.stringify(spec)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [],
  });
  if (SIMULATOR_CORE !== null && child.pid !== undefined) pinToCore(child, SIMULATOR_CORE);
  const inbox: FarmHostMessage[] = [];
  const waiting: ((message: FarmHostMessage) => void)[] = [];
  child.on('message', (message: FarmHostMessage) => {
    const waiter = waiting.shift();
    if (waiter) waiter(message);
    else inbox.push(message);
  });
  const next = () =>
    new Promise<FarmHostMessage>((resolve) => {
      const message = inbox.shift();
      if (message) resolve(message);
      else waiting.push(resolve);
    });
  const ready = await next();
  if (!('ready' in ready)) throw new Error('farm host: expected ready');
  return { child, printers: ready.ready, certMs: ready.certMs, next };
}

function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

async function waitFor(condition: () => boolean, limitMs: number, everyMs = 50): Promise<boolean> {
  const until = Date.now() + limitMs;
  while (!condition() && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, everyMs));
  return condition();
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Redaction cost per line, old (every code searched, twice) against the compiled matcher. */
function redactionFigures(): BenchFigure[] {
  const line =
    'farm-1234 (01P09F000001234): connected, last report 2 s ago, printing "Benchy P1S #1234007" 42 %';
  const figures: BenchFigure[] = [];
  for (const n of [10, 1_000, 5_000]) {
    const codes = Array.from({ length: n }, (_, i) => `f${String(i).padStart(7, '0')}`);
    const old = (text: string) => {
      let out = text;
      for (const secret of codes) out = out.split(secret).join('********');
      return out;
    };
    const compiled = secretRedactor(codes);
    const time = (redact: (text: string) => string, passes: number, rounds: number) => {
      for (let i = 0; i < rounds / 10; i++) redact(line);
      const started = performance.now();
      for (let i = 0; i < rounds; i++) for (let p = 0; p < passes; p++) redact(line);
      return ((performance.now() - started) / rounds) * 1000;
    };
    // The matcher first: the old way's garbage would otherwise be collected during its rounds.
    const after = time(compiled, 1, 50_000);
    const before = time(old, 2, Math.max(100, Math.floor(200_000 / n)));
    figures.push({
      name: `redaction per line, ${n} codes: before (N searches × 2)`,
      value: before,
      unit: 'µs',
    });
    figures.push({
      name: `redaction per line, ${n} codes: now (one matcher, once)`,
      value: after,
      unit: 'µs',
    });
  }
  return figures;
}

interface PhaseResult {
  played: PlayedJob[];
  reports: number;
  hostPeakRssMb: number;
}

async function playPhase(hosts: Host[]): Promise<PhaseResult> {
  for (const host of hosts) host.child.send({ go: true });
  const played: PlayedJob[] = [];
  let reports = 0;
  let hostPeakRssMb = 0;
  for (const host of hosts) {
    const message = await host.next();
    if (!('played' in message)) throw new Error('farm host: expected played');
    played.push(...message.played);
    reports += message.reports;
    hostPeakRssMb = Math.max(hostPeakRssMb, message.peakRssMb);
  }
  return { played, reports, hostPeakRssMb };
}

/** Jobs the printers played against the rows the listener wrote: lost, doubled, wrong status. */
function compareJobs(db: SqliteDatabase, played: readonly PlayedJob[]) {
  const rows = db
    .prepare('SELECT printer_serial AS serial, task_id AS taskId, status FROM jobs_raw')
    .all() as { serial: string; taskId: string | null; status: string }[];
  const byKey = new Map<string, string[]>();
  for (const row of rows) {
    const key = `${row.serial}|${row.taskId}`;
    byKey.set(key, [...(byKey.get(key) ?? []), row.status]);
  }
  let lost = 0;
  let doubled = 0;
  let wrong = 0;
  const wrongKinds = new Map<string, number>();
  for (const job of played) {
    const statuses = byKey.get(`${job.serial}|${job.taskId}`) ?? [];
    if (statuses.length === 0) lost += 1;
    else if (statuses.length > 1) doubled += 1;
    else if (statuses[0] !== job.expectedStatus) {
      wrong += 1;
      const kind = `${job.kind}: ${job.expectedStatus} → ${statuses[0]}`;
      wrongKinds.set(kind, (wrongKinds.get(kind) ?? 0) + 1);
    }
  }
  const extra = rows.length - new Set(played.map((job) => `${job.serial}|${job.taskId}`)).size;
  // The printers whose jobs did not come out as played, for BAMBUZLED_FARM_DUMP.
  const playedKeys = new Set(played.map((job) => `${job.serial}|${job.taskId}`));
  const suspects = new Set<string>();
  for (const job of played) {
    const statuses = byKey.get(`${job.serial}|${job.taskId}`) ?? [];
    if (statuses.length !== 1 || statuses[0] !== job.expectedStatus) suspects.add(job.serial);
  }
  for (const row of rows) if (!playedKeys.has(`${row.serial}|${row.taskId}`)) suspects.add(row.serial);
  const detail = `lost ${lost}, doubled ${doubled + Math.max(0, extra)}, wrong status ${wrong}${
    wrongKinds.size > 0 ? ` (${[...wrongKinds].map(([k, n]) => `${n}× ${k}`).join(', ')})` : ''
  }`;
  return { lost, doubled: doubled + Math.max(0, extra), wrong, rows: rows.length, detail, suspects };
}

export async function run(): Promise<BenchReport> {
  if (!import.meta.url.endsWith('.js')) {
    throw new Error(
      'The farm benchmark runs built: npm run build && npm run build:bench && node dist-bench/bench/farm.bench.js',
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'bambuzled-bench-farm-'));
  const dbPath = join(dir, 'farm.db');
  const hostScript = fileURLToPath(new URL('../simulator/farm-host.js', import.meta.url));
  const spec = (first: number, count: number): FarmHostSpec => ({
    first,
    count,
    jobMinMs: 60_000 * JOB_SCALE,
    jobMaxMs: 150_000 * JOB_SCALE,
    idleMaxMs: 20_000 * JOB_SCALE,
    reportEveryMs: 2_000,
    playMs: PLAY_MS,
  });
  const hostsStarted = performance.now();
  const slices: number[] = [];
  for (let first = 0; first < PRINTERS; first += PER_HOST) slices.push(first);
  const hosts = await Promise.all(
    slices.map((first) => startHost(hostScript, spec(first, Math.min(PER_HOST, PRINTERS - first)))),
  );
  const hostsMs = performance.now() - hostsStarted;
  const config: ListenerConfig = {
    printers: hosts.flatMap((host) =>
      host.printers.map((p) => ({
        name: p.name,
        host: '127.0.0.1',
        port: p.port,
        accessCode: p.accessCode,
        serial: p.serial,
      })),
    ),
    checkIntervalS: 60,
  };

  const db = openDatabase(dbPath);
  migrateRawSchema(db);
  // As `bambuzled listen` does: the listener never waits for a run's write lock (see listen.ts).
  setBusyTimeout(db, 0);
  // The bench's own reads run on the listener's thread: they must never wait for a lock.
  const reader = openDatabase(dbPath, { busyTimeoutMs: 0 });
  const noneLost = (played: readonly PlayedJob[]) => {
    try {
      return compareJobs(reader, played).lost === 0;
    } catch {
      return false;
    }
  };

  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 200);
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const startedAt = performance.now();
  // As `bambuzled listen` writes: from the raw writer's thread (or inline, to compare).
  const store = INLINE_WRITER ? undefined : await ThreadedRawStore.open(dbPath);
  const stalls = new StallLog();
  const listener: Listener = startListener({
    config,
    db,
    ...(store ? { store } : {}),
    jobFiles: { enabled: false },
    ...(PACING ? { connectPacing: { maxInFlight: PACING[0]!, perTick: PACING[1]! } } : {}),
  });
  const startListenerMs = performance.now() - startedAt;
  const ended = new Map<string, EndSeen[]>();
  listener.on('job-ended', (event) => {
    const list = ended.get(event.printerSerial) ?? [];
    // event.at: when the listener took the report in, so the latency splits into its two legs.
    list.push({ receivedMs: Date.parse(event.at), writtenMs: Date.now() });
    ended.set(event.printerSerial, list);
  });
  const allConnected = await waitFor(
    () => listener.status().every((s) => s.connected && s.reports >= 2),
    Math.max(60_000, PRINTERS * 40),
    200,
  );
  const connectMs = performance.now() - startedAt;
  const connected = listener.status().filter((s) => s.connected).length;
  // Connections made after the first one of each printer: a printer silent past the watchdog, a drop.
  const reconnects = () => listener.status().reduce((sum, s) => sum + Math.max(0, s.connects - 1), 0);
  const connectStallMs = loop.max / 1e6;
  const connectP99Ms = loop.percentile(99) / 1e6;
  loop.reset();
  listener.handling({ reset: true });

  // Phase 1: the listener alone.
  const phase1From = (performance.now() - startedAt) / 1000;
  const cpuFrom = process.cpuUsage();
  const phase1 = await playPhase(hosts);
  const phase1To = (performance.now() - startedAt) / 1000;
  // The listener's whole process (its event loop and the raw writer's thread) while the jobs played.
  const cpu = process.cpuUsage(cpuFrom);
  const cpuShare = (cpu.user + cpu.system) / 1e6 / (phase1To - phase1From);
  // Read before the benchmark's own checks below, which run on this thread (reading 10k rows).
  const stall1 = loop.max / 1e6;
  await waitFor(() => noneLost(phase1.played), 10_000, 500);
  const jobs1 = compareJobs(reader, phase1.played);
  const reconnects1 = reconnects();
  const endToRaw1 = endLatencies(phase1.played, ended);
  const handling1 = listener.handling({ reset: true });
  const rssMb = (peakRss - 0) / 1048576;
  global.gc?.();
  const memory = process.memoryUsage();
  loop.reset();

  // Phase 2: the scheduler beside it, in its own process, on the same file.
  let phase2: BenchFigure[] = [];
  const notes: string[] = [];
  if (WITH_SCHEDULER) {
    ended.clear();
    const port = await freePort();
    const bin = fileURLToPath(new URL('../../bin/bambuzled.js', import.meta.url));
    const scheduler = spawn(
      process.execPath,
      [bin, 'schedule', '--db', dbPath, '--port', String(port), '--schedule', '* * * * * *'],
      { stdio: ['ignore', 'ignore', 'pipe'], cwd: fileURLToPath(new URL('../..', import.meta.url)) },
    );
    let schedulerLog = '';
    scheduler.stderr!.on('data', (chunk: Buffer) => {
      schedulerLog = (schedulerLog + chunk.toString()).slice(-4000);
    });
    // Watched from a third process, so that its reads never count in the listener's event loop.
    const brzSeen = new Map<string, number>();
    const watcher = fork(fileURLToPath(new URL('./brz-watcher.js', import.meta.url)), [dbPath], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    watcher.on('message', (seen: [string, number][]) => {
      for (const [id, at] of seen) if (!brzSeen.has(id)) brzSeen.set(id, at);
    });
    // The first run builds every model: let it finish before the phase counts.
    await waitFor(() => brzSeen.size > 0 || schedulerLog.includes('error'), 60_000, 200);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    loop.reset();
    listener.handling({ reset: true });
    const phase2Run = await playPhase(hosts);
    const stall2 = loop.max / 1e6;
    await waitFor(() => noneLost(phase2Run.played), 10_000, 500);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const watcherExited = new Promise((resolve) => watcher.once('exit', resolve));
    watcher.kill('SIGTERM');
    await watcherExited;
    const handling2 = listener.handling();
    const jobs2 = compareJobs(reader, [...phase1.played, ...phase2Run.played]);
    if (env.BAMBUZLED_FARM_DUMP)
      dumpSuspects(env.BAMBUZLED_FARM_DUMP, reader, jobs2.suspects, [...phase1.played, ...phase2Run.played]);
    const endToRaw2 = endLatencies(phase2Run.played, ended);
    const keyOf = new Map(
      (
        reader
          .prepare('SELECT printer_serial AS serial, task_id AS taskId, job_key AS key FROM jobs_raw')
          .all() as {
          serial: string;
          taskId: string;
          key: string;
        }[]
      ).map((row) => [`${row.serial}|${row.taskId}`, row.key]),
    );
    const toBrz: number[] = [];
    let finishedMissing = 0;
    for (const job of phase2Run.played) {
      if (job.expectedStatus !== 'finished') continue;
      const seen = brzSeen.get(keyOf.get(`${job.serial}|${job.taskId}`) ?? '');
      if (seen === undefined) finishedMissing += 1;
      else toBrz.push(seen - job.endSentMs);
    }
    const longest = reader
      .prepare("SELECT MAX(duration_ms) FROM _bambuzled_action_runs WHERE kind NOT IN ('assertion', 'test')")
      .pluck()
      .get() as number | null;
    const runs = reader
      .prepare(
        "SELECT COUNT(*) AS n, MAX(duration_ms) AS longest FROM _bambuzled_runs WHERE status = 'SUCCESSFUL'",
      )
      .get() as { n: number; longest: number | null };
    const backlog = listener.health().printers.reduce(
      (sum, p) => ({
        pending: Math.max(sum.pending, p.writes.pending),
        dropped: sum.dropped + p.writes.dropped,
        failures: sum.failures + p.writeFailures,
      }),
      { pending: 0, dropped: 0, failures: 0 },
    );
    const exited = new Promise((resolve) => scheduler.once('exit', resolve));
    scheduler.kill('SIGTERM');
    await exited;
    phase2 = [
      {
        name: 'with the scheduler: jobs lost or doubled (both phases)',
        value: jobs2.lost + jobs2.doubled + jobs2.wrong,
        unit: `of ${phase1.played.length + phase2Run.played.length}`,
        target: '0',
        pass: jobs2.lost + jobs2.doubled + jobs2.wrong === 0,
      },
      {
        name: 'with the scheduler: report handling p95 (worst report of each second)',
        value: handling2.worstPerSecondP95Ms,
        unit: 'ms',
        target: `< ${TARGET_HANDLING_P95_MS}`,
        pass: handling2.worstPerSecondP95Ms < TARGET_HANDLING_P95_MS,
      },
      { name: 'with the scheduler: report handling p95 (all reports)', value: handling2.p95Ms, unit: 'ms' },
      { name: 'with the scheduler: slowest report', value: handling2.maxMs, unit: 'ms' },
      {
        name: 'with the scheduler: job end → raw p99',
        value: quantile(endToRaw2.total, 0.99),
        unit: 'ms',
        target: `< ${TARGET_END_TO_RAW_P99_MS}`,
        pass: quantile(endToRaw2.total, 0.99) < TARGET_END_TO_RAW_P99_MS,
      },
      {
        name: 'with the scheduler: job end → jobs_brz p95 (across processes)',
        value: quantile(toBrz, 0.95),
        unit: 'ms',
        target: `< ${TARGET_END_TO_BRZ_P95_MS}`,
        pass: toBrz.length > 0 && quantile(toBrz, 0.95) < TARGET_END_TO_BRZ_P95_MS,
      },
      { name: 'with the scheduler: job end → jobs_brz p50', value: quantile(toBrz, 0.5), unit: 'ms' },
      {
        name: 'with the scheduler: event-loop stall max',
        value: stall2,
        unit: 'ms',
        target: `< ${TARGET_STALL_MS}`,
        pass: stall2 < TARGET_STALL_MS,
      },
      {
        name: 'longest model action of a sensor run (start to end: an upper bound on the write lock held)',
        value: longest ?? Number.NaN,
        unit: 'ms',
      },
      {
        name: 'listener writes refused by the lock (retried from the backlog)',
        value: backlog.failures,
        unit: 'writes',
      },
    ];
    notes.push(
      `Phase 2: \`bambuzled schedule --schedule '* * * * * *'\` in its own process on the same SQLite file; ${runs.n} successful runs, the longest ${runs.longest ?? '-'} ms; ${finishedMissing} finished jobs not yet in jobs_brz at the end; largest write backlog ${backlog.pending}, ${backlog.dropped} reports folded; jobs of both phases: ${jobs2.detail}; reconnects ${reconnects()}. Job end → raw, ${legsOf(endToRaw2)}.`,
    );
  }

  clearInterval(sampler);
  loop.disable();
  await listener.close();
  await store?.close();
  stalls.stop();
  for (const host of hosts) {
    const exited = new Promise((resolve) => host.child.once('exit', resolve));
    host.child.send({ stop: true });
    await exited;
  }
  reader.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });

  const endP99 = quantile(endToRaw1.total, 0.99);
  const perPrinterMb = rssMb / PRINTERS;
  const lostOrDoubled = jobs1.lost + jobs1.doubled + jobs1.wrong;
  const kinds = new Map<string, number>();
  for (const job of phase1.played) kinds.set(job.kind, (kinds.get(job.kind) ?? 0) + 1);
  return {
    title: `Farm: ${PRINTERS} simulated printers, each its own TLS broker, in one listener`,
    figures: [
      {
        name: 'printers connected',
        value: connected,
        unit: `of ${PRINTERS}`,
        target: 'all',
        pass: allConnected && connected === PRINTERS,
      },
      { name: 'time until all connected and synced', value: connectMs / 1000, unit: 's' },
      {
        name: 'event-loop stall max while connecting',
        value: connectStallMs,
        unit: 'ms',
        target: `< ${TARGET_STALL_MS}`,
        pass: connectStallMs < TARGET_STALL_MS,
      },
      { name: 'event-loop delay p99 while connecting', value: connectP99Ms, unit: 'ms' },
      {
        name: 'jobs lost, doubled or with the wrong status',
        value: lostOrDoubled,
        unit: `of ${phase1.played.length}`,
        target: '0',
        pass: lostOrDoubled === 0,
      },
      {
        name: 'job end → raw p99 (report sent → row written, across processes)',
        value: endP99,
        unit: 'ms',
        target: `< ${TARGET_END_TO_RAW_P99_MS}`,
        pass: endP99 < TARGET_END_TO_RAW_P99_MS,
      },
      {
        name: 'event-loop stall max while the jobs play',
        value: stall1,
        unit: 'ms',
        target: `< ${TARGET_STALL_MS}`,
        pass: stall1 < TARGET_STALL_MS,
      },
      {
        name: "the listener's process CPU while the jobs play (event loop and writer thread)",
        value: Math.round(cpuShare * 100),
        unit: '% of a core',
      },
      {
        name: 'report handling p95 (listener alone, worst report of each second)',
        value: handling1.worstPerSecondP95Ms,
        unit: 'ms',
      },
      {
        name: 'peak RSS of the listener process per printer',
        value: perPrinterMb,
        unit: 'MB',
        target: `≤ ${TARGET_RSS_PER_PRINTER_MB}`,
        pass: perPrinterMb <= TARGET_RSS_PER_PRINTER_MB,
      },
      ...phase2,
      ...redactionFigures(),
    ],
    notes: [
      `${PRINTERS} printers in ${hosts.length} host process(es) of up to ${PER_HOST} (their peak RSS ${phase1.hostPeakRssMb} MB each at most), ${SIMULATOR_CORE === null ? `sharing the machine's ${availableParallelism()} cores with the listener` : `kept on core ${SIMULATOR_CORE} of ${availableParallelism()} (BAMBUZLED_FARM_PIN_SIMULATORS=1)`}; certificates and servers ready in ${(hostsMs / 1000).toFixed(1)} s; startListener itself took ${Math.round(startListenerMs)} ms.`,
      `Jobs of ${(60 * JOB_SCALE).toFixed(0)}–${(150 * JOB_SCALE).toFixed(0)} s (the 1–2.5 min of a farm scaled by ${JOB_SCALE}), a progress delta every 2 s while printing, ${PLAY_MS / 1000} s of jobs per phase; phase 1 played ${phase1.played.length} jobs (${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')}), ${phase1.reports} reports; ${jobs1.rows} rows in jobs_raw; ${jobs1.detail}; reconnects ${reconnects1}.`,
      `Writes: ${INLINE_WRITER ? "inline, on the listener's thread (BAMBUZLED_FARM_WRITER=inline)" : "from the raw writer's thread, as `bambuzled listen` does"}. Stalls over 100 ms, seconds after the listener started: ${stalls.summary()} (phase 1 played from ${phase1From.toFixed(1)} s to ${phase1To.toFixed(1)} s). Job end → raw, ${legsOf(endToRaw1)}.`,
      `Peak RSS of the listener process ${Math.round(rssMb)} MB (before the listener: ${Math.round(rssBefore / 1048576)} MB; after phase 1 and a GC: RSS ${mb(memory.rss)} MB, JS heap ${mb(memory.heapUsed)} MB, buffers ${mb(memory.arrayBuffers)} MB, other external ${mb(memory.external - memory.arrayBuffers)} MB). Trust on first use: every printer's certificate pinned. Job files (FTPS) off: the simulated printers have no card.`,
      ...notes,
    ],
  };
}

const mb = (bytes: number) => Math.round(bytes / 1048576);

/** BAMBUZLED_FARM_DUMP=file: what the printers whose jobs came out wrong played, and what the raw layer holds of them. */
function dumpSuspects(
  file: string,
  db: SqliteDatabase,
  serials: ReadonlySet<string>,
  played: readonly PlayedJob[],
): void {
  const rows = db.prepare(
    'SELECT job_key, task_id, status, started_at, ended_at, change_seq FROM jobs_raw WHERE printer_serial = ? ORDER BY id',
  );
  const events = db.prepare(
    'SELECT job_key, event, from_status, to_status, at FROM job_events_raw WHERE printer_serial = ? ORDER BY seq',
  );
  const dump = [...serials].map((serial) => ({
    serial,
    played: played.filter((job) => job.serial === serial),
    rows: rows.all(serial),
    events: events.all(serial),
  }));
  writeFileSync(file, JSON.stringify(dump, null, 2));
}

/**
 * When the event loop stalled over 100 ms (a 20 ms interval that fired late), for the notes: what a
 * maximum alone hides. Each stall says how much of it the garbage collector's pauses took.
 */
class StallLog {
  private readonly started = performance.now();
  private last = performance.now();
  private readonly seen: string[] = [];
  private readonly gcPauses: { start: number; ms: number }[] = [];
  private readonly gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) this.gcPauses.push({ start: entry.startTime, ms: entry.duration });
  });
  private readonly handle = setInterval(() => {
    const at = performance.now();
    const late = at - this.last - 20;
    if (late > 100) {
      const gcMs = this.gcPauses
        .filter((pause) => pause.start >= this.last && pause.start < at)
        .reduce((sum, pause) => sum + pause.ms, 0);
      this.seen.push(
        `${Math.round(late)} ms at ${((at - this.started) / 1000).toFixed(1)} s (GC ${Math.round(gcMs)} ms)`,
      );
    }
    if (this.gcPauses.length > 1000) this.gcPauses.splice(0, 500);
    this.last = at;
  }, 20);

  constructor() {
    this.gc.observe({ entryTypes: ['gc'] });
  }

  stop(): void {
    clearInterval(this.handle);
    this.gc.disconnect();
  }

  summary(): string {
    return this.seen.length === 0 ? 'none' : this.seen.slice(0, 16).join(', ');
  }
}

/** When the listener took a job's end in, and when its write was answered (the 'job-ended' event). */
interface EndSeen {
  receivedMs: number;
  writtenMs: number;
}

/** A job end's latency and its two legs: printer → listener (across processes), listener → row written. */
interface EndLatencies {
  total: number[];
  toListener: number[];
  toRow: number[];
}

/** For each printer, the n-th job it ended against the n-th 'job-ended' the listener emitted for it. */
function endLatencies(played: readonly PlayedJob[], ended: Map<string, EndSeen[]>): EndLatencies {
  const bySerial = new Map<string, PlayedJob[]>();
  for (const job of played) bySerial.set(job.serial, [...(bySerial.get(job.serial) ?? []), job]);
  const latencies: EndLatencies = { total: [], toListener: [], toRow: [] };
  for (const [serial, jobs] of bySerial) {
    const seen = ended.get(serial) ?? [];
    jobs.sort((a, b) => a.endSentMs - b.endSentMs);
    jobs.forEach((job, i) => {
      const at = seen[i];
      if (at === undefined) return;
      latencies.total.push(at.writtenMs - job.endSentMs);
      latencies.toListener.push(at.receivedMs - job.endSentMs);
      latencies.toRow.push(at.writtenMs - at.receivedMs);
    });
  }
  return latencies;
}

/** The two legs of a job end's p99, for the figure's note. */
function legsOf(latencies: EndLatencies): string {
  return `p99 of its legs: printer → listener ${quantile(latencies.toListener, 0.99)} ms, listener → row written ${quantile(latencies.toRow, 0.99)} ms`;
}

// `node dist-bench/bench/farm.bench.js`: the farm alone, printed as JSON (bench/index.ts runs it as `farm`).
if (process.argv[1] !== undefined && import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await run(), null, 2));
  process.exit(0);
}
