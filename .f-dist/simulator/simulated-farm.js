import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedBroker } from './embedded-broker.js';
import { SimulatedPrinter } from './simulated-printer.js';
/**
 * An embedded broker with several simulated printers online, and the listener config for them:
 * what the listener tests and the listener benchmark run against.
 */
export async function startSimulatedFarm(options) {
    const codes = Object.fromEntries(options.printers.map((p) => [p.serial, p.accessCode]));
    let broker = await startEmbeddedBroker({ printers: codes, port: options.port ?? 0 });
    const dir = mkdtempSync(join(tmpdir(), 'bambuzled-farm-'));
    const caFile = join(dir, 'broker-ca.pem');
    writeFileSync(caFile, broker.caPem);
    const printers = options.printers.map((spec) => new SimulatedPrinter({
        brokerUrl: broker.url,
        serial: spec.serial,
        accessCode: spec.accessCode,
        model: spec.model ?? 'P1S',
        ca: broker.caPem,
        servername: spec.serial,
        deltaIntervalMs: options.deltaIntervalMs ?? 0,
    }));
    await Promise.all(printers.map((printer) => printer.start()));
    const config = {
        printers: options.printers.map((spec) => {
            const printer = {
                name: spec.name ?? `sim-${spec.serial.slice(-4)}`,
                host: broker.host,
                port: broker.port,
                accessCode: spec.accessCode,
                serial: spec.serial,
            };
            if (options.withCaFile)
                printer.caFile = caFile;
            return printer;
        }),
        checkIntervalS: options.checkIntervalS ?? 60,
    };
    const farm = {
        broker,
        printers,
        config,
        restartBroker: async () => {
            const { port, certificate } = broker;
            await broker.close();
            broker = await startEmbeddedBroker({ printers: codes, port, certificate });
            farm.broker = broker;
        },
        close: async () => {
            await Promise.all(printers.map((printer) => printer.stop()));
            await broker.close();
            rmSync(dir, { recursive: true, force: true });
        },
    };
    return farm;
}
//# sourceMappingURL=simulated-farm.js.map