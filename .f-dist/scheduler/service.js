import { createScheduler } from './scheduler.js';
import { startStatusServer } from './status-server.js';
/**
 * The scheduler and its status page, started together (what `bambuzled schedule` and
 * `bambuzled start` run). The caller owns the database and closes it after stop().
 */
export async function startScheduleService(options) {
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
//# sourceMappingURL=service.js.map