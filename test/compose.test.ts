import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/**
 * No Docker engine runs here, so the compose file is checked statically: CI runs
 * `docker-compose config`, and these tests make sure every service runs a real bambuzled command
 * with options that command really has.
 */
interface ComposeService {
  profiles?: string[];
  image?: string;
  environment?: Record<string, string>;
  command?: string[];
  healthcheck?: { test?: string[] };
  volumes?: string[];
  user?: string;
  restart?: string;
}

const composeFile = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
};
/** The services `docker-compose up` starts: those of an optional profile (postgres) are checked apart. */
const compose = {
  ...composeFile,
  services: Object.fromEntries(
    Object.entries(composeFile.services).filter(([, service]) => !service.profiles),
  ),
};

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

describe('docker-compose.yml', () => {
  it('has the listener, the scheduler on 3000 and the docs on 8080', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['docs', 'listener', 'scheduler']);
  });

  for (const [name, service] of Object.entries(compose.services)) {
    it(`runs a real bambuzled command with real options in the ${name} service`, () => {
      const { words, options } = splitCommand(service.command ?? []);
      expect(words.length).toBeGreaterThan(0);
      const help = cliHelp(words);
      expect(help.status, help.text).toBe(0);
      for (const option of options) expect(help.text).toContain(option);
    });

    it(`keeps the database on the named volume, restarts, and runs as a non-root user in ${name}`, () => {
      expect(service.volumes).toContain('print-data:/data');
      expect(service.volumes?.some((v) => v.endsWith(':/config/config.json:ro'))).toBe(true);
      expect(service.restart).toBe('unless-stopped');
      expect(service.user).not.toBe('root');
      expect(service.healthcheck?.test?.length).toBeGreaterThan(0);
    });
  }

  it('health-checks the listener with a bambuzled command that exists', () => {
    const test = compose.services.listener?.healthcheck?.test ?? [];
    const cli = test.indexOf('bin/bambuzled.js');
    const { words, options } = splitCommand(test.slice(cli + 1));
    const help = cliHelp(words);
    expect(help.status, help.text).toBe(0);
    for (const option of options) expect(help.text).toContain(option);
  });

  it('offers PostgreSQL as an optional profile that every service is pointed at by BAMBUZLED_DB', () => {
    const postgres = composeFile.services.postgres;
    expect(postgres?.profiles).toEqual(['postgres']);
    expect(postgres?.image).toMatch(/^postgres:\d+/);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's own interpolation, checked verbatim
    expect(postgres?.environment?.POSTGRES_PASSWORD).toBe('${BAMBUZLED_PG_PASSWORD:-}');
    expect(postgres?.healthcheck?.test).toContain('pg_isready');
    expect(Object.keys(composeFile.volumes ?? {})).toContain('pg-data');
    for (const service of Object.values(compose.services)) {
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
