/**
 * What printer owners ask of the history, for the status page's charts: filament by material, hours
 * per week, success rate per printer, and each recent job's grams and time. Read from the models
 * (gold and silver) through an injected async query, so that it runs on any engine the runner uses.
 */

import type { QueryRows } from '../lib/index.js';

export interface MaterialGrams {
  filamentType: string;
  filamentColor: string;
  grams: number;
  jobs: number;
}

export interface WeekHours {
  weekStart: string;
  preparingHours: number;
  printingHours: number;
  pausedHours: number;
}

export interface PrinterSuccess {
  printer: string;
  printerSerial: string;
  jobs: number;
  finished: number;
  /** finished / jobs, 0-1. */
  rate: number;
}

export interface JobFigures {
  jobId: string;
  name: string | null;
  printer: string | null;
  startedAt: string | null;
  outcome: string | null;
  grams: number | null;
  filamentSource: string | null;
  /** Why grams is null, in words. */
  filamentMissing: string | null;
  preparingS: number | null;
  printingS: number | null;
  pausedS: number | null;
  estimatedS: number | null;
}

export interface OwnersFigures {
  /** null when the model it comes from does not exist yet (before the first run), with `missing`. */
  filamentByMaterial: MaterialGrams[] | null;
  hoursPerWeek: WeekHours[] | null;
  successByPrinter: PrinterSuccess[] | null;
  recentJobs: JobFigures[] | null;
  /** The models that could not be read, and why. */
  missing: string[];
}

const FILAMENT_BY_MATERIAL = `
  SELECT filament_type, filament_color, ROUND(SUM(grams), 2) AS grams, SUM(jobs) AS jobs
  FROM filament_daily_gld
  GROUP BY filament_type, filament_color
  ORDER BY grams DESC
  LIMIT 24`;

const HOURS_PER_WEEK = `
  SELECT week_start, ROUND(SUM(preparing_hours), 2) AS preparing_hours,
         ROUND(SUM(printing_hours), 2) AS printing_hours, ROUND(SUM(paused_hours), 2) AS paused_hours
  FROM print_time_weekly_gld
  GROUP BY week_start
  ORDER BY week_start DESC
  LIMIT ?`;

const SUCCESS_BY_PRINTER = `
  SELECT printer_serial, MAX(printer_name) AS printer_name, COUNT(*) AS jobs, SUM(is_finished) AS finished
  FROM jobs_slv
  GROUP BY printer_serial
  ORDER BY printer_serial`;

const RECENT_JOBS = `
  SELECT job_id, job_name, printer_name, started_at, outcome, filament_g, filament_source,
         filament_missing_reason, preparing_s, printing_s, paused_s, estimated_s
  FROM jobs_slv
  ORDER BY ended_at DESC, job_id
  LIMIT ?`;

/** Reads the four figures; a model that is not there yet leaves its figure null, never an error. */
export async function ownersFigures(
  query: QueryRows,
  options: { weeks?: number; jobs?: number } = {},
): Promise<OwnersFigures> {
  const missing: string[] = [];
  const attempt = async <T>(model: string, run: () => Promise<T>): Promise<T | null> => {
    try {
      return await run();
    } catch (error) {
      missing.push(`${model}: ${error instanceof Error ? error.message : String(error)}`);
      return null;
    }
  };
  const filamentByMaterial = await attempt('filament_daily_gld', async () =>
    (await query(FILAMENT_BY_MATERIAL)).map((r) => ({
      filamentType: String(r.filament_type),
      filamentColor: String(r.filament_color),
      grams: Number(r.grams),
      jobs: Number(r.jobs),
    })),
  );
  const hoursPerWeek = await attempt('print_time_weekly_gld', async () =>
    (await query(HOURS_PER_WEEK, [options.weeks ?? 12]))
      .map((r) => ({
        weekStart: String(r.week_start),
        preparingHours: Number(r.preparing_hours),
        printingHours: Number(r.printing_hours),
        pausedHours: Number(r.paused_hours),
      }))
      .reverse(),
  );
  const successByPrinter = await attempt('jobs_slv', async () =>
    (await query(SUCCESS_BY_PRINTER)).map((r) => {
      const jobs = Number(r.jobs);
      const finished = Number(r.finished);
      return {
        printer: String(r.printer_name ?? r.printer_serial),
        printerSerial: String(r.printer_serial),
        jobs,
        finished,
        rate: jobs > 0 ? finished / jobs : 0,
      };
    }),
  );
  const recentJobs = await attempt('jobs_slv', async () =>
    (await query(RECENT_JOBS, [options.jobs ?? 15])).map((r) => ({
      jobId: String(r.job_id),
      name: text(r.job_name),
      printer: text(r.printer_name),
      startedAt: text(r.started_at),
      outcome: text(r.outcome),
      grams: numberOrNull(r.filament_g),
      filamentSource: text(r.filament_source),
      filamentMissing: text(r.filament_missing_reason),
      preparingS: numberOrNull(r.preparing_s),
      printingS: numberOrNull(r.printing_s),
      pausedS: numberOrNull(r.paused_s),
      estimatedS: numberOrNull(r.estimated_s),
    })),
  );
  return { filamentByMaterial, hoursPerWeek, successByPrinter, recentJobs, missing: [...new Set(missing)] };
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function numberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}
