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
  command?: string[];
  healthcheck?: { test?: string[] };
  volumes?: string[];
  user?: string;
  restart?: string;
}

const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
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
});
