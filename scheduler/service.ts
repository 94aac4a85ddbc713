import { isLoopbackBind, type Logger } from '../lib/index.js';
import { createScheduler, type Scheduler, type SchedulerOptions } from './scheduler.js';
import { type StatusServer, startStatusServer } from './status-server.js';

export interface ScheduleServiceOptions extends SchedulerOptions {
  port?: number;
  host?: string;
  token?: string;
  /** Host names the status page answers to besides its own (a reverse proxy's, a LAN name). */
  allowedHosts?: readonly string[];
  logger?: Logger;
  /** The listener's health file, so that the page says when its writes fail. */
  listenerHealthFile?: string;
}

export interface ScheduleService {
  scheduler: Scheduler;
  server: StatusServer;
  /**
   * Closes the page, stops the sensor, cancels a run in flight and waits for it to end (a few
   * seconds: its statement is stopped and its action rolled back), then closes the connections.
   */
  stop(): Promise<void>;
}

/**
 * The scheduler and its status page, started together (what `bambuzled schedule` and
 * `bambuzled start` run). The scheduler's connections are opened first, so that a database that
 * cannot be used rejects here (an EngineError naming the file) before anything listens.
 */
export async function startScheduleService(options: ScheduleServiceOptions): Promise<ScheduleService> {
  const scheduler = createScheduler(options);
  try {
    await scheduler.open();
  } catch (error) {
    await scheduler.close().catch(() => undefined);
    throw error;
  }
  let server: StatusServer;
  try {
    server = await startStatusServer({
      scheduler,
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.host !== undefined ? { host: options.host } : {}),
      ...(options.token ? { token: options.token } : {}),
      ...(options.allowedHosts?.length ? { allowedHosts: options.allowedHosts } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.now ? { now: options.now } : {}),
      ...(options.listenerHealthFile ? { listenerHealthFile: options.listenerHealthFile } : {}),
    });
  } catch (error) {
    await scheduler.close();
    throw error;
  }
  // The POST endpoints start runs and move the cursor: open to the network, they need a token.
  if (!options.token && options.host !== undefined && !isLoopbackBind(options.host)) {
    options.logger?.warn(
      `the status page listens on ${options.host} with no token: anyone who can reach this port on the network can start runs and move the sensor's cursor. Set one with --token <secret> or BAMBUZLED_STATUS_TOKEN (then open the page as /#token=<secret>), or listen on 127.0.0.1.`,
    );
  }
  scheduler.start();
  return {
    scheduler,
    server,
    stop: async () => {
      await server.close();
      await scheduler.close();
    },
  };
}
