import { randomBytes, X509Certificate } from 'node:crypto';
import { createServer } from 'node:tls';
import { Aedes } from 'aedes';
import { generate } from 'selfsigned';
const NOT_AUTHORIZED = 5;
const SIMULATOR_USER = 'bambuzled-simulator';
const DROPPED_TOPIC = '$dropped/unauthorized';
/** Generates a self-signed certificate whose CN and DNS SANs are `names` (a printer's CN is its serial). */
export async function generateBrokerCertificate(names) {
    const list = names.length > 0 ? [...names] : ['localhost'];
    const pems = await generate([{ name: 'commonName', value: list[0] }], {
        keyType: 'ec',
        algorithm: 'sha256',
        extensions: [
            { name: 'basicConstraints', cA: true },
            { name: 'keyUsage', digitalSignature: true, keyCertSign: true },
            { name: 'extKeyUsage', serverAuth: true },
            {
                name: 'subjectAltName',
                altNames: [
                    ...list.map((value) => ({ type: 2, value })),
                    { type: 7, ip: '127.0.0.1' },
                ],
            },
        ],
    });
    return { certPem: pems.cert, keyPem: pems.private };
}
/**
 * An MQTT broker over TLS that behaves like a Bambu printer's: user `bblp`, the access code as
 * password (refused with "not authorized" otherwise), and `device/{serial}/…` topics. One broker
 * can stand in for several printers: the access code a client logs in with says which serial it acts for.
 */
export async function startEmbeddedBroker(options = {}) {
    const host = options.host ?? '127.0.0.1';
    const codes = new Map(Object.entries(options.printers ?? {}));
    const certificate = options.certificate ?? (await generateBrokerCertificate(options.certificateNames ?? [...codes.keys()]));
    const fingerprint = new X509Certificate(certificate.certPem).fingerprint256;
    const simulatorCredential = { username: SIMULATOR_USER, password: randomBytes(12).toString('hex') };
    const logins = [];
    const serialOf = new WeakMap();
    const serialForCode = (code) => {
        for (const [serial, candidate] of codes)
            if (candidate === code)
                return serial;
        return undefined;
    };
    const aedes = await Aedes.createBroker({
        authenticate: (client, username, password, done) => {
            const given = password?.toString('utf8') ?? '';
            let serial;
            if (username === 'bblp')
                serial = serialForCode(given);
            else if (username === simulatorCredential.username && given === simulatorCredential.password)
                serial = null;
            const accepted = serial !== undefined;
            logins.push({ clientId: client.id, username, accepted, serial: serial ?? null });
            if (!accepted) {
                const error = new Error('Not authorized');
                error.returnCode = NOT_AUTHORIZED;
                done(error, false);
                return;
            }
            serialOf.set(client, serial ?? null);
            done(null, true);
        },
        // A printer's clients write only to its own topics; the simulator login writes anywhere. Like a
        // printer, the broker ignores a request to another (say mis-cased) serial instead of hanging up:
        // the message goes to a topic nobody can subscribe to with a wildcard.
        authorizePublish: (client, packet, callback) => {
            if (client === null)
                return callback(null);
            const serial = serialOf.get(client);
            if (serial !== null && !packet.topic.startsWith(`device/${serial}/`))
                packet.topic = DROPPED_TOPIC;
            callback(null);
        },
    });
    const sockets = new Set();
    const server = createServer({ key: certificate.keyPem, cert: certificate.certPem }, (socket) => {
        aedes.handle(socket);
    });
    server.on('connection', (socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
    });
    // A client that gives up mid-handshake (a refused certificate) is not the broker's problem.
    server.on('tlsClientError', () => { });
    await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port ?? 0, host, () => {
            server.off('error', reject);
            resolve();
        });
    });
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : (options.port ?? 0);
    let closed;
    return {
        host,
        port,
        url: `mqtts://${host}:${port}`,
        certificate,
        caPem: certificate.certPem,
        fingerprint,
        simulatorCredential,
        logins,
        addPrinter: (serial, accessCode) => {
            codes.set(serial, accessCode);
        },
        close: () => {
            closed ??= new Promise((resolve) => {
                // Drop live connections so that the port is free at once (a broker "crash" for the clients).
                for (const socket of sockets)
                    socket.destroy();
                aedes.close(() => server.close(() => resolve()));
            });
            return closed;
        },
    };
}
//# sourceMappingURL=embedded-broker.js.map