import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/**
 * No Docker engine runs here, so the compose file is checked statically: the ports it publishes,
 * the volumes and paths, and the flags of each command, from the parsed YAML; `docker-compose config`
 * (Debian's docker-compose, as CI runs it) must accept the file and resolve it the same way.
 */
interface ComposeService {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test?: string[] };
  ports?: string[];
  profiles?: string[];
  volumes?: string[];
  user?: string;
  restart?: string;
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as ComposeFile;
/** The services `docker-compose up` starts; a profile's services (opt-in) are checked by their own tests. */
const defaultServices = Object.entries(compose.services).filter(([, service]) => !service.profiles);

function service(name: string): ComposeService {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service '${name}'`);
  return found;
}

function cliHelp(words: string[]): { status: number | null; text: string } {
  const result = spawnSync(process.execPath, ['bin/bambuzled.js', ...words, '--help'], { encoding: 'utf8' });
  return { status: result.status, text: result.stdout + result.stderr };
}

/** Splits a compose command into the bambuzled sub-command words and the long options it passes. */
function splitCommand(command: string[]): { words: string[]; options: string[] } {
  const firstOption = command.findIndex((word) => word.startsWith('-'));
  const words = firstOption === -1 ? command : command.slice(0, firstOption);
  return { words, options: command.filter((word) => word.startsWith('--')) };
}

/** The value a command passes for `--name`, or undefined. */
function optionValue(command: string[] | undefined, name: string): string | undefined {
  const at = (command ?? []).indexOf(name);
  return at === -1 ? undefined : command?.[at + 1];
}

/** Compose's short port syntax `[ip:]host:container[/proto]`, as the values a reader checks. */
function publishedPorts(ports: string[] | undefined): Array<{ ip: string; host: number; container: number }> {
  return (ports ?? []).map((port) => {
    const parts = port.replace(/\/tcp$/, '').split(':');
    const container = Number(parts.at(-1));
    const host = Number(parts.at(-2) ?? container);
    return { ip: parts.length === 3 ? (parts[0] as string) : '0.0.0.0', host, container };
  });
}

describe('docker-compose.yml', () => {
  it('has the listener, the scheduler and the docs, and docker-compose accepts it', () => {
    expect(defaultServices.map(([name]) => name).sort()).toEqual(['docs', 'listener', 'scheduler']);
    const check = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config', '--quiet'], {
      encoding: 'utf8',
    });
    expect(
      check.error,
      'docker-compose is needed for this test: apt-get install docker-compose',
    ).toBeUndefined();
    expect(check.status, check.stderr).toBe(0);
  });

  it('resolves, in docker-compose config, the same commands, ports and volumes as read here', () => {
    const resolved = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config', '--no-interpolate'], {
      encoding: 'utf8',
    });
    expect(resolved.status, resolved.stderr).toBe(0);
    const normalized = parse(resolved.stdout) as ComposeFile;
    for (const [name, ours] of defaultServices) {
      const theirs = normalized.services[name];
      expect(theirs?.command, name).toEqual(ours.command);
      expect(publishedPorts(theirs?.ports), name).toEqual(publishedPorts(ours.ports));
      // Compose makes bind mounts absolute and names the default mode; the targets and modes must match.
      const targets = (volumes: string[] | undefined) =>
        (volumes ?? []).map((v) => v.split(':').slice(1).join(':').replace(/:rw$/, '')).sort();
      expect(targets(theirs?.volumes), name).toEqual(targets(ours.volumes));
    }
  });

  it('publishes the scheduler on 127.0.0.1:3000, where its server listens on every interface of the container', () => {
    const scheduler = service('scheduler');
    expect(publishedPorts(scheduler.ports)).toEqual([{ ip: '127.0.0.1', host: 3000, container: 3000 }]);
    // A server on the container's 127.0.0.1 would be unreachable through the published port.
    expect(optionValue(scheduler.command, '--host')).toBe('0.0.0.0');
    expect(optionValue(scheduler.command, '--port')).toBe('3000');
    expect(scheduler.healthcheck?.test?.join(' ')).toContain('http://127.0.0.1:3000/');
  });

  it('publishes the docs on 127.0.0.1:8080, where its server listens on every interface of the container', () => {
    const docs = service('docs');
    expect(publishedPorts(docs.ports)).toEqual([{ ip: '127.0.0.1', host: 8080, container: 8080 }]);
    expect(optionValue(docs.command, '--host')).toBe('0.0.0.0');
    expect(optionValue(docs.command, '--port')).toBe('8080');
    expect(docs.healthcheck?.test?.join(' ')).toContain('http://127.0.0.1:8080/');
  });

  it('publishes no port for the listener (it only connects out to the printers)', () => {
    expect(service('listener').ports).toBeUndefined();
  });

  it("runs each command as the image's bambuzled entrypoint's arguments", () => {
    expect(readFileSync('Dockerfile', 'utf8')).toMatch(/^ENTRYPOINT \["node", "bin\/bambuzled\.js"\]$/m);
  });

  for (const [name, entry] of defaultServices) {
    it(`runs a real bambuzled command with real options in the ${name} service`, () => {
      const { words, options } = splitCommand(entry.command ?? []);
      expect(words.length).toBeGreaterThan(0);
      const help = cliHelp(words);
      expect(help.status, help.text).toBe(0);
      for (const option of options) expect(help.text).toContain(option);
    });

    it(`keeps the database on the named volume, restarts, and runs as a non-root user in ${name}`, () => {
      expect(entry.volumes).toContain('print-data:/data');
      expect(Object.keys(compose.volumes ?? {})).toContain('print-data');
      // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's own interpolation, checked verbatim
      expect(entry.environment?.BAMBUZLED_DB).toBe('${BAMBUZLED_DB:-/data/print_history.db}');
      expect(entry.volumes).toContain('./ingestion/config.json:/config/config.json:ro');
      expect(entry.restart).toBe('unless-stopped');
      expect(entry.user).toBe('node');
      expect(entry.healthcheck?.test?.length).toBeGreaterThan(0);
    });
  }

  it('points the listener and the scheduler at the config file mounted read-only', () => {
    for (const name of ['listener', 'scheduler']) {
      const config = optionValue(service(name).command, '--config');
      expect(config, name).toBe('/config/config.json');
      expect(service(name).volumes, name).toContain(`./ingestion/config.json:${config}:ro`);
    }
  });

  it('health-checks the listener with a bambuzled command that exists', () => {
    const test = service('listener').healthcheck?.test ?? [];
    const cli = test.indexOf('bin/bambuzled.js');
    expect(cli).toBeGreaterThan(0);
    const { words, options } = splitCommand(test.slice(cli + 1));
    const help = cliHelp(words);
    expect(help.status, help.text).toBe(0);
    for (const option of options) expect(help.text).toContain(option);
    expect(Number(optionValue(test, '--max-silence'))).toBeGreaterThan(0);
  });

  it('offers PostgreSQL as an optional profile that every service is pointed at by BAMBUZLED_DB', () => {
    const postgres = compose.services.postgres;
    expect(postgres?.profiles).toEqual(['postgres']);
    expect(postgres?.image).toMatch(/^postgres:\d+/);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's own interpolation, checked verbatim
    expect(postgres?.environment?.POSTGRES_PASSWORD).toBe('${BAMBUZLED_PG_PASSWORD:-}');
    expect(postgres?.healthcheck?.test).toContain('pg_isready');
    expect(Object.keys(compose.volumes ?? {})).toContain('pg-data');
    for (const [, service] of defaultServices) {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's own interpolation, checked verbatim
      expect(service.environment?.BAMBUZLED_DB).toBe('${BAMBUZLED_DB:-/data/print_history.db}');
    }
    const url = 'postgres://bambuzled:pw@postgres:5432/bambuzled';
    const checked = spawnSync('docker-compose', ['--profile', 'postgres', 'config'], {
      encoding: 'utf8',
      env: { ...process.env, BAMBUZLED_DB: url, BAMBUZLED_PG_PASSWORD: 'pw' },
    });
    expect(checked.status, checked.stderr).toBe(0);
    const resolved = parse(checked.stdout) as { services: Record<string, ComposeService> };
    expect(Object.keys(resolved.services).sort()).toEqual(['docs', 'listener', 'postgres', 'scheduler']);
    expect(resolved.services.listener?.environment?.BAMBUZLED_DB).toBe(url);
  });
});
