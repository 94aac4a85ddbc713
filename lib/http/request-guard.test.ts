import { describe, expect, it } from 'vitest';
import {
  acceptedHostsFor,
  allowedHostsFor,
  checkHost,
  checkPost,
  checkToken,
  type GuardSettings,
  hostName,
  isLoopbackBind,
} from './request-guard.js';

const settings: GuardSettings = { csrfToken: 'page-token', allowedHosts: allowedHostsFor('127.0.0.1') };
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

  it('answers only to loopback names when bound to loopback, and leaves a wildcard bind to the machine', () => {
    expect(checkHost({ host: 'localhost:3000' }, settings).ok).toBe(true);
    expect(checkHost({ host: 'evil.example:3000' }, settings)).toMatchObject({ ok: false, status: 421 });
    expect(allowedHostsFor('0.0.0.0')).toBeUndefined();
  });

  it('answers on a wildcard bind to loopback, the machine and the allowed names, and to no other', () => {
    const machine = { hostname: 'Printer-Pi', addresses: ['127.0.0.1', '192.168.1.20', 'fe80::1'] };
    const wildcard: GuardSettings = {
      csrfToken: 'page-token',
      allowedHosts: acceptedHostsFor('0.0.0.0', { machine, allowedHosts: ['Prints.lan'] }),
      wildcardBind: true,
    };
    for (const host of [
      'localhost:3000',
      '[::1]:3000',
      '192.168.1.20:3000',
      'printer-pi',
      '[fe80::1]:3000',
    ]) {
      expect(checkHost({ host }, wildcard), host).toEqual({ ok: true });
    }
    expect(checkHost({ host: 'prints.lan' }, wildcard)).toEqual({ ok: true });
    const refused = checkHost({ host: 'evil.example:3000' }, wildcard);
    expect(refused).toMatchObject({ ok: false, status: 403 });
    expect(refused.ok ? '' : refused.message).toContain('--allowed-host evil.example');
    expect(checkHost({}, wildcard)).toMatchObject({ ok: false, status: 403 });
  });

  it('adds the allowed names to a loopback bind, for a reverse proxy that keeps its own name', () => {
    const proxied = {
      csrfToken: 'x',
      allowedHosts: acceptedHostsFor('127.0.0.1', { allowedHosts: ['fd00::7'] }),
    };
    expect(checkHost({ host: '[fd00::7]:443' }, proxied).ok).toBe(true);
    expect(checkHost({ host: '192.168.1.20:3000' }, proxied).ok).toBe(false);
  });

  it('reads the host name of a Host header without its port', () => {
    expect(hostName('LocalHost:3000')).toBe('localhost');
    expect(hostName('[::1]:3000')).toBe('[::1]');
    expect(hostName('fd00::2')).toBe('[fd00::2]');
    expect(hostName('printer-pi')).toBe('printer-pi');
  });

  it('tells loopback binds from addresses open to the network', () => {
    expect(['127.0.0.1', '127.0.1.1', 'localhost', '::1'].map(isLoopbackBind)).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(['0.0.0.0', '::', '192.168.1.20', 'printer-pi'].map(isLoopbackBind)).toEqual([
      false,
      false,
      false,
      false,
    ]);
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
