import { EventEmitter } from 'node:events';
import { connect as mqttConnect } from 'mqtt';
import { buildJobScript } from './job-scripts.js';
import { FLAVOUR_TRAITS, idleState } from './model-flavours.js';
/**
 * A printer that speaks the Bambu LAN protocol to a broker: it answers `pushall` with a full
 * report (msg 0) and `get_version` with its modules, sends deltas (msg 1) as its state changes,
 * and plays scripted jobs. The printer keeps the merged state, as the real firmware does.
 */
export class SimulatedPrinter extends EventEmitter {
    serial;
    model;
    /** Counters a test or a benchmark can read. */
    counters = { reports: 0, pushalls: 0, versions: 0, requests: 0 };
    options;
    current;
    client;
    sequence = 1000;
    jobIndex = 0;
    noise;
    sleeps = new Set();
    constructor(options) {
        super();
        this.options = options;
        this.serial = options.serial;
        this.model = options.model ?? 'P1S';
        this.current = idleState(this.model);
    }
    get reportTopic() {
        return `device/${this.serial}/report`;
    }
    /** Connects and subscribes to the request topic; resolves once the printer is listening. */
    async start() {
        const connect = this.options.connect ?? mqttConnect;
        const client = connect(this.options.brokerUrl, {
            clientId: `sim_${this.serial}_${process.pid}_${Math.random().toString(16).slice(2, 8)}`,
            username: this.options.username ?? 'bblp',
            password: this.options.password ?? this.options.accessCode,
            clean: true,
            reconnectPeriod: 300,
            connectTimeout: 5_000,
            rejectUnauthorized: !this.options.insecure,
            ...(this.options.ca !== undefined ? { ca: this.options.ca } : {}),
            ...(this.options.servername !== undefined ? { servername: this.options.servername } : {}),
        });
        this.client = client;
        client.on('message', (_topic, payload) => this.onRequest(payload));
        client.on('error', (error) => this.options.logger?.warn(`simulated ${this.serial}: ${error.message}`));
        await new Promise((resolve, reject) => {
            const onError = (error) => {
                client.end(true);
                reject(error);
            };
            client.once('error', onError);
            client.once('connect', () => {
                client.off('error', onError);
                resolve();
            });
        });
        // Subscribe on every (re)connect: the session is clean, like a printer after a broker restart.
        const subscribe = () => client.subscribe(`device/${this.serial}/request`);
        client.on('connect', subscribe);
        await client.subscribeAsync(`device/${this.serial}/request`);
        const every = this.options.deltaIntervalMs ?? 0;
        if (every > 0) {
            this.noise = setInterval(() => {
                void this.report({ wifi_signal: `-${50 + Math.floor(Math.random() * 20)}dBm` });
            }, every);
        }
    }
    /** The printer's merged state (a copy). */
    state() {
        return structuredClone(this.current);
    }
    /** Merges `delta` into the state and sends it (the whole state on models that always send it). */
    async report(delta) {
        deepMerge(this.current, delta);
        if (FLAVOUR_TRAITS[this.model].fullReports)
            return this.send({ ...this.current }, 0);
        return this.send({ ...delta }, 1);
    }
    /** Sends the full state, as the reply to `pushall`. */
    async reportAll() {
        return this.send({ ...this.current }, 0);
    }
    /** Publishes bytes as they are on the report topic (malformed input for tests). */
    async publishRaw(payload) {
        await this.requireClient().publishAsync(this.reportTopic, payload);
    }
    /** Plays one scripted job to its end; resolves with the script (its expected transitions). */
    async play(kind, options = {}) {
        this.jobIndex += 1;
        const script = typeof kind === 'string'
            ? buildJobScript(kind, { model: this.model, index: this.jobIndex, ...options })
            : kind;
        for (const step of script.steps) {
            if (step.afterMs > 0)
                await this.sleep(step.afterMs);
            await this.report(step.delta);
        }
        return script;
    }
    async stop() {
        if (this.noise)
            clearInterval(this.noise);
        for (const timer of this.sleeps)
            clearTimeout(timer);
        this.sleeps.clear();
        const client = this.client;
        this.client = undefined;
        if (client)
            await client.endAsync(true);
    }
    async send(body, msg) {
        this.sequence += 1;
        const print = {
            ...body,
            command: 'push_status',
            msg,
            sequence_id: String(this.sequence),
        };
        if (FLAVOUR_TRAITS[this.model].newerFirmware)
            print.t_utc = Date.now();
        const payload = { print };
        this.counters.reports += 1;
        this.emit('report', payload);
        const client = this.client;
        if (!client)
            return;
        await client.publishAsync(this.reportTopic, JSON.stringify(payload));
    }
    onRequest(raw) {
        this.counters.requests += 1;
        let request;
        try {
            request = JSON.parse(raw.toString('utf8'));
        }
        catch {
            return;
        }
        this.emit('request', request);
        const pushing = request.pushing;
        const info = request.info;
        if (pushing?.command === 'pushall') {
            this.counters.pushalls += 1;
            void this.reportAll().catch(() => { });
        }
        if (info?.command === 'get_version') {
            this.counters.versions += 1;
            void this.requireClient()
                .publishAsync(this.reportTopic, JSON.stringify(versionReply(this.serial, this.model, info.sequence_id)))
                .catch(() => { });
        }
    }
    sleep(ms) {
        return new Promise((resolve) => {
            const timer = setTimeout(() => {
                this.sleeps.delete(timer);
                resolve();
            }, ms);
            this.sleeps.add(timer);
        });
    }
    requireClient() {
        if (!this.client)
            throw new Error(`Simulated printer ${this.serial} is not started; call start() first.`);
        return this.client;
    }
}
/** The `get_version` reply, shaped like test/fixtures/bambu/*_get_version_response.json. */
export function versionReply(serial, model, sequenceId = '0') {
    return {
        info: {
            command: 'get_version',
            sequence_id: sequenceId,
            module: [
                { name: 'ota', project_name: model, sw_ver: '01.08.00.00', hw_ver: 'OTA', sn: serial },
                { name: 'mc', project_name: model, sw_ver: '00.00.30.75', hw_ver: 'MC07', sn: serial },
            ],
            result: 'success',
            reason: '',
        },
    };
}
/** Deep-merges `delta` into `target` the way a report consumer must: objects merge, the rest replaces. */
export function deepMerge(target, delta) {
    for (const [key, value] of Object.entries(delta)) {
        const existing = target[key];
        if (isPlainObject(value) && isPlainObject(existing))
            deepMerge(existing, value);
        else
            target[key] = structuredClone(value);
    }
}
function isPlainObject(value) {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}
//# sourceMappingURL=simulated-printer.js.map