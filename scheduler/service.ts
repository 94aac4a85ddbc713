import type { Logger } from '../lib/logger.js';
import { createScheduler, type Scheduler, type SchedulerOptions } from './scheduler.js';
import { type StatusServer, startStatusServer } from './status-server.js';

export interface ScheduleServiceOptions extends SchedulerOptions {
  port?: number;
  host?: string;
  token?: string;
  logger?: Logger;
}

export interface ScheduleService {
  scheduler: Scheduler;
  server: StatusServer;
  /** Closes the page, stops the sensor and waits for a run in flight to finish. */
  stop(): Promise<void>;
}

/**
 * The scheduler and its status page, started together (what `bambuzled schedule` and
 * `bambuzled start` run). The caller owns the database and closes it after stop().
 */
export async function startScheduleService(options: ScheduleServiceOptions): Promise<ScheduleService> {
  const scheduler = createScheduler(options);
  const server = await startStatusServer({
    scheduler,
    db: options.db,
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.token ? { token: options.token } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  scheduler.start();
  return {
    scheduler,
    server,
    stop: async () => {
      await server.close();
      await scheduler.stop();
    },
  };
}
