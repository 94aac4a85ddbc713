import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DocsServer, serveDocs } from '../docs-site/index.js';
import { recordingLogger } from '../lib/logger.js';
import { compileFixture, fillFixtureDatabase, writeFixtureProject } from './docs-fixture.js';
import { launchChromium } from './helpers/browser.js';
import { rawRequest } from './helpers/raw-http.js';

let root: string;
let projectDir: string;
let dbPath: string;
let server: DocsServer;
let browser: Browser | undefined;

/** What a DNS-rebinding page would use: its own name, pointed at this machine. */
const machine = { hostname: 'printfarm', addresses: ['192.168.1.20'] };

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'docs-http-'));
  projectDir = join(root, 'project');
  dbPath = join(root, 'history.db');
  writeFixtureProject(projectDir);
  await fillFixtureDatabase(dbPath, await compileFixture(projectDir), 2);
  server = await serveDocs({ projectDir, dbPath, port: 0, logger: recordingLogger(), machine });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

const PATHS = ['/', '/app.js', '/style.css', '/docs-data.json', '/docs-data.js', '/api/catalog'];

describe('the docs server behind the shared HTTP layer', () => {
  it('refuses a foreign Host with 421 and a plain reason, on every path, before showing anything', async () => {
    for (const path of PATHS) {
      const answer = await rawRequest(server.port, {
        path,
        headers: { host: `evil.example:${server.port}` },
      });
      expect(answer.status, path).toBe(421);
      expect(answer.headers['content-type'], path).toMatch(/^text\/plain/);
      expect(answer.body, path).toContain('does not answer to the host "evil.example');
      expect(answer.body, path).not.toContain('jobs_brz');
      expect(answer.body, path).not.toContain(root);
    }
    const own = await rawRequest(server.port, {
      path: '/api/catalog',
      headers: { host: `127.0.0.1:${server.port}` },
    });
    expect(own.status).toBe(200);
    const local = await rawRequest(server.port, { path: '/', headers: { host: `localhost:${server.port}` } });
    expect(local.status).toBe(200);
  });

  it('on a wildcard bind answers to the machine and --allowed-host names only, and says which flag to pass', async () => {
    const open = await serveDocs({
      projectDir,
      dbPath,
      host: '0.0.0.0',
      port: 0,
      logger: recordingLogger(),
      machine,
      allowedHosts: ['docs.lan'],
    });
    try {
      const ask = (host: string) => rawRequest(open.port, { path: '/api/catalog', headers: { host } });
      const evil = await ask(`evil.example:${open.port}`);
      expect(evil.status).toBe(403);
      expect(evil.body).toContain('--allowed-host evil.example');
      for (const host of ['localhost', '127.0.0.1', 'printfarm', '192.168.1.20', 'docs.lan'])
        expect((await ask(`${host}:${open.port}`)).status, host).toBe(200);
    } finally {
      await open.close();
    }
  });

  it('sends nosniff, no-referrer, no framing and a CSP that runs only scripts and styles of its own origin', async () => {
    for (const path of PATHS) {
      const res = await fetch(new URL(path, server.url));
      expect(res.status, path).toBe(200);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('referrer-policy'), path).toBe('no-referrer');
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, path).toContain("default-src 'none'");
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).not.toContain('unsafe-inline');
    }
    const missing = await fetch(new URL('/no-such-file', server.url));
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('refuses a POST, a cross-site one included, with 405: the docs only read', async () => {
    const res = await fetch(new URL('/api/catalog', server.url), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        origin: 'http://evil.example',
        'sec-fetch-site': 'cross-site',
      },
      body: '{}',
    });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
    expect(await res.text()).toContain('only answers GET and HEAD');
  });

  it('with --token keeps the SQL and the catalog behind it; a page opened as /#token=… reads them', async () => {
    const token = 'd0cs-t0ken-xyz';
    const guarded = await serveDocs({
      projectDir,
      dbPath,
      port: 0,
      logger: recordingLogger(),
      machine,
      token,
    });
    try {
      expect((await fetch(new URL('/', guarded.url))).status).toBe(200);
      for (const path of ['/docs-data.json', '/docs-data.js', '/api/catalog']) {
        const refused = await fetch(new URL(path, guarded.url));
        expect(refused.status, path).toBe(401);
        const text = await refused.text();
        expect(text, path).toContain('Authorization: Bearer');
        expect(text, path).not.toContain('jobs_brz');
        const wrong = await fetch(new URL(path, guarded.url), { headers: { authorization: 'Bearer nope' } });
        expect(wrong.status, path).toBe(401);
        const given = await fetch(new URL(path, guarded.url), {
          headers: { authorization: `Bearer ${token}` },
        });
        expect(given.status, path).toBe(200);
      }
      browser ??= await launchChromium();
      const page = await browser.newPage();
      await page.goto(`${guarded.url}#token=${token}`);
      await page.waitForSelector('body[data-ready="true"]');
      expect(await page.locator('#sidebar').textContent()).toContain('jobs_brz');
      // The token leaves the address bar once kept for the session.
      expect(page.url()).not.toContain(token);
      await page.close();
    } finally {
      await guarded.close();
    }
  });

  it('runs under its own CSP: the page, the SQL highlighting and the lineage-only layout break no directive', async () => {
    browser ??= await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        const page = window as unknown as { violations?: string[] };
        page.violations = [...(page.violations ?? []), `${event.violatedDirective} ${event.blockedURI}`];
      });
    });
    await page.goto(`${server.url}#/action/${encodeURIComponent('main.jobs_brz')}`);
    await page.waitForSelector('body[data-ready="true"]');
    // highlight.js ran (a vendor script file) and marked up the compiled SQL.
    await page.waitForSelector('#details pre.sql code span.hljs-keyword');
    // The lineage-only view lays the selection out in the page with elkjs, loaded on demand.
    await page.locator('#lineage-only').check();
    await page.waitForFunction(() => document.querySelectorAll('#nodes .node').length > 0);
    await page.locator('#search').fill('duration_s');
    const violations = await page.evaluate(
      () => (window as unknown as { violations?: string[] }).violations ?? [],
    );
    expect(violations).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });
});
