import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { consoleLogger } from '../../lib/index.js';
import {
  type BrokerCertificate,
  generateBrokerCertificate,
  isModelFlavour,
  JOB_KINDS,
  MODEL_FLAVOURS,
  parseJobKinds,
  SimulatedPrinter,
  startEmbeddedBroker,
  startSimulatedFtps,
  storeJobFile,
} from '../../simulator/index.js';
import { exitIfStillHeld } from '../exit-after-stop.js';
import { onStopSignal } from './listen.js';

export interface SimulateOptions {
  broker?: string;
  embeddedBroker?: boolean;
  port: string;
  serial: string;
  accessCode: string;
  model: string;
  jobs: string;
  lan?: boolean;
  stepMs: string;
  gapMs: string;
  deltaMs: string;
  insecure?: boolean;
  ca?: string;
  caOut: string;
  certDir: string;
  ftpPort?: string;
  once?: boolean;
}

/**
 * The embedded broker's certificate, kept in `dir` per serial: a restarted simulator presents the same
 * certificate, so a listener that trusted it on first use (or was given --ca-out as ca_file) still does.
 */
async function brokerCertificate(dir: string, serial: string): Promise<BrokerCertificate> {
  const certPath = join(dir, `${serial}.cert.pem`);
  const keyPath = join(dir, `${serial}.key.pem`);
  if (existsSync(certPath) && existsSync(keyPath)) {
    return { certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8') };
  }
  const certificate = await generateBrokerCertificate([serial]);
  mkdirSync(dir, { recursive: true });
  writeFileSync(certPath, certificate.certPem);
  writeFileSync(keyPath, certificate.keyPem, { mode: 0o600 });
  return certificate;
}

/**
 * Plays a simulated printer against a broker (a real one, or an embedded one it starts), then keeps
 * answering pushall until stopped (or exits with --once). Returns the exit code.
 */
export async function runSimulate(options: SimulateOptions, stop: Promise<unknown>): Promise<number> {
  const model = options.model.toUpperCase();
  if (!isModelFlavour(model)) {
    console.error(`Unknown model "${options.model}"; use one of: ${MODEL_FLAVOURS.join(', ')}.`);
    return 2;
  }
  let jobs: ReturnType<typeof parseJobKinds>;
  try {
    jobs = parseJobKinds(options.jobs);
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  if (!options.broker && !options.embeddedBroker) {
    console.error('Pass --broker mqtts://HOST:PORT, or --embedded-broker to start one here.');
    return 2;
  }
  const logger = consoleLogger('simulate', [options.accessCode]);
  const broker = options.embeddedBroker
    ? await startEmbeddedBroker({
        port: Number(options.port),
        printers: { [options.serial]: options.accessCode },
        certificate: await brokerCertificate(options.certDir, options.serial),
      })
    : undefined;
  let ca = options.ca ? readFileSync(options.ca, 'utf8') : undefined;
  // Like a printer, the embedded one also serves its jobs' .3mf files over FTPS (implicit TLS).
  const ftps = broker
    ? await startSimulatedFtps({
        host: broker.host,
        certificate: broker.certificate,
        accessCode: options.accessCode,
        root: join(options.certDir, `sdcard-${options.serial}`),
        port: Number(options.ftpPort),
      })
    : undefined;
  if (broker) {
    mkdirSync(dirname(options.caOut), { recursive: true });
    writeFileSync(options.caOut, broker.caPem);
    ca = broker.caPem;
    // The code is the one passed on the command line; it is not printed back.
    console.log(
      `Embedded broker at ${broker.url}, certificate SHA-256 ${broker.fingerprint}.\nConfig for the listener:\n${JSON.stringify(
        {
          name: `sim-${model.toLowerCase()}`,
          printer_ip: broker.host,
          port: broker.port,
          ftp_port: ftps?.port,
          access_code: '<the --access-code you passed>',
          serial_number: options.serial,
          ca_file: options.caOut,
        },
        null,
        2,
      )}`,
    );
  }
  const printer = new SimulatedPrinter({
    brokerUrl: broker?.url ?? options.broker ?? '',
    serial: options.serial,
    accessCode: options.accessCode,
    model,
    deltaIntervalMs: Number(options.deltaMs),
    logger,
    ...(options.insecure ? { insecure: true } : {}),
    ...(ca !== undefined && !options.insecure ? { ca, servername: options.serial } : {}),
    ...(ftps ? { onJob: storeJobFile(ftps) } : {}),
  });
  try {
    await printer.start();
  } catch (error) {
    console.error(`The simulated printer could not connect: ${(error as Error).message}`);
    await ftps?.close();
    await broker?.close();
    return 1;
  }
  logger.info(`simulated ${model} ${options.serial} is online; jobs: ${jobs.join(', ') || 'none'}.`);
  let stopped = false;
  void stop.then(() => {
    stopped = true;
  });
  for (const kind of jobs) {
    if (stopped) break;
    const script = await printer.play(kind, { stepMs: Number(options.stepMs), lan: options.lan === true });
    logger.info(
      `played a "${kind}" job: "${script.identity.name}", expect ${script.expectedEvents.join(' → ')}.`,
    );
    await Promise.race([stop, new Promise((resolve) => setTimeout(resolve, Number(options.gapMs)))]);
  }
  if (!options.once && !stopped) await stop;
  await printer.stop();
  await ftps?.close();
  await broker?.close();
  return 0;
}

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description(
      'A simulated Bambu printer that speaks the LAN MQTT protocol to a broker and plays scripted jobs.',
    )
    .option('--broker <url>', 'the broker to publish on, e.g. mqtts://127.0.0.1:8883')
    .option(
      '--embedded-broker',
      'start a TLS broker here (like a printer) and print a listener config for it',
    )
    .option('--port <n>', 'port of the embedded broker (0 = any free port)', '8883')
    .option('--ftp-port <n>', "port of the embedded printer's FTPS server (0 = any free port)", '0')
    .requiredOption('--serial <serial>', 'the printer serial (its topic and certificate name)')
    .requiredOption('--access-code <code>', 'the LAN access code the broker expects')
    .option('--model <model>', `model flavour: ${MODEL_FLAVOURS.join(', ')}`, 'P1S')
    .option('--jobs <list>', `jobs to play in order: ${JOB_KINDS.join(', ')}`, 'finish')
    .option('--lan', 'play LAN/SD-card prints (task ids "0" or a local counter) instead of cloud prints')
    .option('--step-ms <ms>', 'real milliseconds between two scripted reports', '1000')
    .option('--gap-ms <ms>', 'pause between two jobs', '3000')
    .option('--delta-ms <ms>', 'idle noise delta every this many ms (0 = none)', '2000')
    .option('--insecure', "don't verify the broker's certificate")
    .option('--ca <file>', "PEM of the CA that signed the broker's certificate")
    .option('--ca-out <file>', "where to write the embedded broker's certificate", 'data/simulator-ca.pem')
    .option(
      '--cert-dir <dir>',
      'where the embedded broker keeps its certificate per serial, reused on the next start',
      'data/simulator-cert',
    )
    .option('--once', 'exit after the jobs instead of staying online')
    .action(async (options: SimulateOptions) => {
      process.exitCode = await runSimulate(options, onStopSignal());
      exitIfStillHeld(consoleLogger('simulate'));
    });
}
