import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDocsSite } from '../docs-site/index.js';
import { lineageLayoutOptions, nodeLayoutOptions } from '../docs-site/layout-options.js';
import { compileFixture, writeFixtureProject } from './docs-fixture.js';

let root: string;
let site: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'pages-bundle-'));
  const projectDir = join(root, 'project');
  writeFixtureProject(projectDir);
  await compileFixture(projectDir);
  site = join(root, 'site');
  expect((await generateDocsSite({ projectDir, outDir: site })).ok).toBe(true);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

const statusScript = () => readFileSync(join('dist', 'scheduler', 'assets', 'status-page.js'), 'utf8');

describe('the pages are bundled from modules at build time', () => {
  it('writes each page script as one classic script: no module syntax, so a page opened from disk runs it', () => {
    const html = readFileSync(join(site, 'index.html'), 'utf8');
    expect(html).not.toContain('type="module"');
    for (const script of [readFileSync(join(site, 'app.js'), 'utf8'), statusScript()]) {
      // esbuild's IIFE: the whole bundle runs inside one arrow function, sharing no global.
      expect(script).toMatch(/^("use strict";\s*)?\(\(\) => \{/);
      expect(script).not.toMatch(/^\s*(import|export)\s/m);
    }
  });

  it("lays out a selection's lineage in the page with the generator's elkjs options, from the one module", () => {
    const bundle = readFileSync(join(site, 'app.js'), 'utf8');
    for (const options of [
      lineageLayoutOptions(0),
      lineageLayoutOptions(1000),
      nodeLayoutOptions({ layer: 'source' }),
    ]) {
      for (const [key, value] of Object.entries(options ?? {})) {
        expect(bundle, key).toContain(`"${key}"`);
        expect(bundle, `${key}: ${value}`).toContain(`"${value}"`);
      }
    }
  });
});
