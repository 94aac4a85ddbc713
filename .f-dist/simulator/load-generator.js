import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { buildJobScript, JOB_KINDS } from './job-scripts.js';
import { startSimulatedFarm } from './simulated-farm.js';
/** The report stream of every printer of the spec. Deterministic apart from cloud ids. */
export function buildLoad(spec) {
    const kinds = spec.kinds ?? ['finish', 'cancel', 'pause', 'fail'];
    return Array.from({ length: spec.printers }, (_, p) => {
        const payloads = [];
        let expectedEvents = 0;
        let sequence = 0;
        const push = (delta) => {
            sequence += 1;
            payloads.push(JSON.stringify({
                print: { ...delta, command: 'push_status', msg: 1, sequence_id: String(sequence) },
            }));
        };
        for (let job = 0; job < spec.jobsPerPrinter; job++) {
            const kind = kinds[(job + p) % kinds.length];
            const script = buildJobScript(kind, { model: 'P1S', stepMs: 0, index: p * 1000 + job });
            expectedEvents += script.expectedEvents.length;
            for (const step of script.steps) {
                push(step.delta);
                for (let n = 0; n < spec.noisePerStep; n++) {
                    push({
                        nozzle_temper: 200 + (n % 20) / 4,
                        bed_temper: 55 + (n % 8) / 8,
                        wifi_signal: `-${50 + (n % 17)}dBm`,
                    });
                }
            }
        }
        return {
            serial: `01P00A0000${String(10000 + p)}`,
            accessCode: `b3nch${String(100 + p)}`,
            payloads,
            expectedEvents,
        };
    });
}
/** Starts the broker and printers for `loads`. */
export async function startLoadFarm(loads) {
    return startSimulatedFarm({
        printers: loads.map((load) => ({ serial: load.serial, accessCode: load.accessCode })),
        checkIntervalS: 60,
    });
}
/** Publishes every printer's payloads, waiting for the socket every few messages. */
export async function publishLoad(farm, loads) {
    await Promise.all(farm.printers.map(async (printer, p) => {
        const payloads = loads[p].payloads;
        for (let i = 0; i < payloads.length; i++) {
            if (i % 32 === 31)
                await printer.publishRaw(payloads[i]);
            else
                void printer.publishRaw(payloads[i]);
        }
    }));
}
async function main() {
    const spec = JSON.parse(process.argv[2] ?? '{}');
    const loads = buildLoad(spec);
    const farm = await startLoadFarm(loads);
    const send = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);
    const ready = {
        ready: {
            config: farm.config,
            totalReports: loads.reduce((sum, load) => sum + load.payloads.length, 0),
            expectedEvents: loads.reduce((sum, load) => sum + load.expectedEvents, 0),
            kinds: spec.kinds ?? JOB_KINDS,
        },
    };
    send(ready);
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => {
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 50);
    for await (const line of createInterface({ input: process.stdin })) {
        if (line === 'go') {
            await publishLoad(farm, loads);
            send({ published: true, peakRssMb: Math.round(peakRss / 1048576) });
        }
        else if (line === 'stop') {
            break;
        }
    }
    clearInterval(sampler);
    await farm.close();
    process.exit(0);
}
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
    await main();
}
//# sourceMappingURL=load-generator.js.map