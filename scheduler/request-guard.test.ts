import { describe, expect, it } from 'vitest';
import { allowedHostsFor, checkHost, checkPost, checkToken, type GuardSettings } from './request-guard.js';

const settings: GuardSettings = { csrfToken: 'page-token', allowedHosts: allowedHostsFor('127.0.0.1', 3000) };
const json = { 'content-type': 'application/json; charset=utf-8', host: '127.0.0.1:3000' };

describe('the request guard', () => {
  it('accepts a JSON POST from the page itself', () => {
    expect(
      checkPost({ ...json, origin: 'http://127.0.0.1:3000', 'sec-fetch-site': 'same-origin' }, settings),
    ).toEqual({
      ok: true,
    });
  });

  it('accepts a client without Origin that carries the page token', () => {
    expect(checkPost({ ...json, 'x-csrf-token': 'page-token' }, settings).ok).toBe(true);
  });

  it('refuses a form post, another origin, a cross-site fetch and a wrong token', () => {
    expect(
      checkPost({ ...json, 'content-type': 'text/plain', origin: 'http://127.0.0.1:3000' }, settings),
    ).toMatchObject({ ok: false, status: 415 });
    expect(checkPost({ ...json, origin: 'http://localhost:8080' }, settings)).toMatchObject({
      ok: false,
      status: 403,
    });
    expect(checkPost({ ...json, 'sec-fetch-site': 'same-site' }, settings)).toMatchObject({
      ok: false,
      status: 403,
    });
    expect(checkPost({ ...json, 'x-csrf-token': 'page-tokeN' }, settings)).toMatchObject({
      ok: false,
      status: 403,
    });
  });

  it('answers only to loopback names when bound to loopback, and to any name on a wildcard bind', () => {
    expect(checkHost({ host: 'localhost:3000' }, settings).ok).toBe(true);
    expect(checkHost({ host: 'evil.example:3000' }, settings)).toMatchObject({ ok: false, status: 421 });
    expect(allowedHostsFor('0.0.0.0', 3000)).toBeUndefined();
  });

  it('checks the bearer token only when one is configured', () => {
    expect(checkToken({}, settings).ok).toBe(true);
    const guarded = { ...settings, token: 's3cret' };
    expect(checkToken({}, guarded)).toMatchObject({ ok: false, status: 401 });
    expect(checkToken({ authorization: 'Bearer s3cre' }, guarded).ok).toBe(false);
    expect(checkToken({ authorization: 'Bearer s3cret' }, guarded).ok).toBe(true);
    expect(JSON.stringify(checkToken({}, guarded))).not.toContain('s3cret');
  });
});
