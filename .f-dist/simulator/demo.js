import { randomBytes } from 'node:crypto';
import { startSimulatedFarm } from './simulated-farm.js';
/** What each demo printer prints, over and over: mostly finished jobs, with the other endings between. */
const PLAYLISTS = [
    { model: 'P1S', name: 'demo-p1s', jobs: ['finish', 'cancel', 'finish', 'pause', 'quick-finish'] },
    { model: 'X1C', name: 'demo-x1c', jobs: ['finish', 'finish', 'fail', 'finish', 'old-cancel'] },
];
/**
 * The demo that `bambuzled start` runs when no printer is configured: an embedded MQTT broker over
 * TLS on loopback and two simulated printers that keep printing short jobs, so that a new user sees
 * the whole pipeline work within a minute.
 */
export async function startDemo(options) {
    const { logger, stepMs = 800, gapMs = 3_000 } = options;
    const farm = await startSimulatedFarm({
        printers: PLAYLISTS.map((p, i) => ({
            serial: `DEMO${p.model}000${i + 1}`,
            accessCode: randomBytes(4).toString('hex'),
            model: p.model,
            name: p.name,
        })),
        withCaFile: true,
        deltaIntervalMs: 2_000,
        checkIntervalS: 5,
    });
    let stopped = false;
    const loops = farm.printers.map(async (printer, i) => {
        const playlist = PLAYLISTS[i];
        // Stagger the printers so that their jobs interleave rather than end together.
        await delay(1_500 + i * 2_500);
        for (let n = 0; !stopped; n += 1) {
            const kind = playlist.jobs[n % playlist.jobs.length];
            try {
                await printer.play(kind, { stepMs, lan: n % 2 === 1 });
            }
            catch (error) {
                if (!stopped)
                    logger.warn(`demo printer ${playlist.name}: ${String(error)}`);
            }
            await delay(gapMs);
        }
    });
    logger.info(`demo: an embedded broker on ${farm.broker.host}:${farm.broker.port} (TLS) and ${farm.printers.length} simulated printers (${PLAYLISTS.map((p) => p.name).join(', ')}).`);
    return {
        config: farm.config,
        close: async () => {
            stopped = true;
            await farm.close();
            await Promise.race([Promise.all(loops), delay(2_000)]);
        },
    };
}
function delay(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
//# sourceMappingURL=demo.js.map