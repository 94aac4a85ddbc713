import { randomBytes, X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import { createServer, type Server } from 'node:tls';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { generate } from 'selfsigned';

/** A certificate and its key, in PEM, so that a restarted broker can keep the same identity. */
export interface BrokerCertificate {
  certPem: string;
  keyPem: string;
}

export interface EmbeddedBrokerOptions {
  /** Interface to listen on; 127.0.0.1 unless told otherwise. */
  host?: string;
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** serial -> LAN access code. A client logging in as `bblp` with one of these codes acts for that serial. */
  printers?: Record<string, string>;
  /** CN and DNS SANs of the generated certificate; the serials by default, else 'localhost'. */
  certificateNames?: string[];
  /** Reuse this certificate instead of generating one (a broker "restart" with the same identity). */
  certificate?: BrokerCertificate;
  /** Refuse the CONNECT of these clients ("server unavailable") until setRefused changes it. */
  refuse?: (clientId: string) => boolean;
}

/** One login attempt as the broker saw it; the password is never kept, only whether it was accepted. */
export interface BrokerLogin {
  clientId: string;
  username: string | undefined;
  accepted: boolean;
  serial: string | null;
}

export interface EmbeddedBroker {
  host: string;
  port: number;
  /** `mqtts://host:port` */
  url: string;
  certificate: BrokerCertificate;
  /** The certificate in PEM: the CA to give a client that verifies it. */
  caPem: string;
  /** SHA-256 of the certificate as Node prints it (`AB:CD:…`), what trust-on-first-use pins. */
  fingerprint: string;
  /** A login that may publish on any topic (for tools and tests that inject reports). */
  simulatorCredential: { username: string; password: string };
  /** Every CONNECT the broker has seen, in order. */
  logins: BrokerLogin[];
  /** Lets one more printer serial log in. */
  addPrinter(serial: string, accessCode: string): void;
  /**
   * Drops the connections of the clients whose id matches, the broker staying up: what a listener
   * sees when its own link to a printer breaks (the printer is the broker). Returns how many.
   */
  dropClients(match: (clientId: string) => boolean): number;
  /** Refuses the CONNECT of the matching clients from now on ("server unavailable"); null admits all. */
  setRefused(match: ((clientId: string) => boolean) | null): void;
  /** True when some client is subscribed to exactly this topic (a printer listening for requests). */
  subscribed(topic: string): boolean;
  close(): Promise<void>;
}

const SERVER_UNAVAILABLE = 3;
const NOT_AUTHORIZED = 5;
const SIMULATOR_USER = 'bambuzled-simulator';
const DROPPED_TOPIC = '$dropped/unauthorized';

/** Generates a self-signed certificate whose CN and DNS SANs are `names` (a printer's CN is its serial). */
export async function generateBrokerCertificate(names: readonly string[]): Promise<BrokerCertificate> {
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
          ...list.map((value) => ({ type: 2 as const, value })),
          { type: 7 as const, ip: '127.0.0.1' },
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
export async function startEmbeddedBroker(options: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const host = options.host ?? '127.0.0.1';
  const codes = new Map<string, string>(Object.entries(options.printers ?? {}));
  const certificate =
    options.certificate ?? (await generateBrokerCertificate(options.certificateNames ?? [...codes.keys()]));
  const fingerprint = new X509Certificate(certificate.certPem).fingerprint256;
  const simulatorCredential = { username: SIMULATOR_USER, password: randomBytes(12).toString('hex') };
  const logins: BrokerLogin[] = [];
  const serialOf = new WeakMap<Client, string | null>();

  const serialForCode = (code: string): string | undefined => {
    for (const [serial, candidate] of codes) if (candidate === code) return serial;
    return undefined;
  };

  let refuse = options.refuse ?? null;
  const aedes = await Aedes.createBroker({
    authenticate: (client, username, password, done) => {
      if (refuse?.(client.id)) {
        const error = new Error('Server unavailable') as AuthenticateError;
        error.returnCode = SERVER_UNAVAILABLE;
        done(error, false);
        return;
      }
      const given = password?.toString('utf8') ?? '';
      let serial: string | null | undefined;
      if (username === 'bblp') serial = serialForCode(given);
      else if (username === simulatorCredential.username && given === simulatorCredential.password)
        serial = null;
      const accepted = serial !== undefined;
      logins.push({ clientId: client.id, username, accepted, serial: serial ?? null });
      if (!accepted) {
        const error = new Error('Not authorized') as AuthenticateError;
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
      if (client === null) return callback(null);
      const serial = serialOf.get(client);
      if (serial !== null && !packet.topic.startsWith(`device/${serial}/`)) packet.topic = DROPPED_TOPIC;
      callback(null);
    },
  });

  const clients = new Set<Client>();
  aedes.on('client', (client) => clients.add(client));
  const topics = new Map<Client, Set<string>>();
  aedes.on('clientDisconnect', (client) => {
    clients.delete(client);
    topics.delete(client);
  });
  aedes.on('subscribe', (subscriptions, client) => {
    const set = topics.get(client) ?? new Set<string>();
    for (const subscription of subscriptions) set.add(subscription.topic);
    topics.set(client, set);
  });

  const sockets = new Set<Socket>();
  const server: Server = createServer({ key: certificate.keyPem, cert: certificate.certPem }, (socket) => {
    aedes.handle(socket);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // A client that gives up mid-handshake (a refused certificate) is not the broker's problem.
  server.on('tlsClientError', () => {});

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : (options.port ?? 0);

  let closed: Promise<void> | undefined;
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
    dropClients: (match) => {
      const dropped = [...clients].filter((client) => match(client.id));
      for (const client of dropped) {
        clients.delete(client);
        topics.delete(client);
        client.close();
      }
      return dropped.length;
    },
    setRefused: (match) => {
      refuse = match;
    },
    subscribed: (topic) => [...topics.values()].some((set) => set.has(topic)),
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        // Drop live connections so that the port is free at once (a broker "crash" for the clients).
        for (const socket of sockets) socket.destroy();
        aedes.close(() => server.close(() => resolve()));
      });
      return closed;
    },
  };
}
