// The slices of the status API's answers that the page reads (status-server.ts writes them).

export interface SensorView {
  state: string;
  busy?: string | null;
  cancellable: boolean;
  cursor: number;
  latestChangeSeq: number;
  pendingEndedJobs: number;
  schedule: string;
  pollIntervalMs?: number | null;
  selectionFlags: string;
  lastTick?: { at: string; decision: string; reason: string } | null;
  nextTickAt?: string | null;
  lock?: { purpose: string; pid: number } | null;
  projectDir: string;
}

export interface PrinterWrites {
  name: string;
  serial: string;
  writes: {
    failing: boolean;
    pending: number;
    dropped: number;
    lastError?: string | null;
    failingSince?: string | null;
  };
}

export interface StatusAnswer {
  sensor: SensorView;
  listener: { fresh: boolean; printers: PrinterWrites[] } | null;
  assertions: {
    name: string;
    status: string;
    failingRows: number | null;
    endedAt: string | null;
    error: string | null;
  }[];
}

export interface RunSummary {
  runId: number;
  trigger: string;
  flags: string;
  fullRefresh: boolean;
  status: string;
  startedAt: string;
  durationMs: number | null;
  counts: Record<string, number>;
  error?: string | null;
}

export interface RunDetail extends RunSummary {
  actions: {
    name: string;
    kind: string;
    status: string;
    durationMs: number | null;
    rowsAffected: number | null;
    error?: string | null;
    failingRows?: { count: number; sample: unknown[] } | null;
  }[];
}

export interface TickView {
  tickId: number;
  at: string;
  wokenBy: string;
  decision: string;
  cursorBefore: number;
  cursorAfter: number;
  runId: number | null;
  reason: string;
}

export interface JobsAnswer {
  source: string | null;
  jobs: {
    name: string | null;
    printer: string | null;
    printerSerial: string | null;
    startedAt: string | null;
    endedAt: string | null;
    durationS: number | null;
    outcome: string | null;
  }[];
}

export interface PrinterSeen {
  name: string;
  serial: string;
  lastReportAt: string | null;
  lastReportAgeS: number | null;
  activeJob: { status: string; name: string | null } | null;
}

export interface OwnersAnswer {
  missing: string[];
  filamentByMaterial?: { filamentType: string; filamentColor: string; grams: number }[];
  hoursPerWeek?: { weekStart: string; printingHours: number; pausedHours: number; preparingHours: number }[];
  successByPrinter?: { printer: string; rate: number; finished: number; jobs: number }[];
  recentJobs: OwnersJob[] | null;
}

export interface OwnersJob {
  name: string | null;
  printer: string | null;
  outcome: string | null;
  grams: number | null;
  filamentSource: string | null;
  filamentMissing?: string | null;
  printingS: number | null;
  pausedS: number | null;
  preparingS: number | null;
  estimatedS: number | null;
}
