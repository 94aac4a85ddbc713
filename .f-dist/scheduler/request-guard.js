import { timingSafeEqual } from 'node:crypto';
const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]', '::1'];
/** Host names the server answers to when it listens on `host`; undefined (any) for a wildcard bind. */
export function allowedHostsFor(host, port) {
    if (host === '0.0.0.0' || host === '::' || host === '')
        return undefined;
    const names = new Set([host, ...(LOOPBACK_HOSTS.includes(host) ? LOOPBACK_HOSTS : [])]);
    return new Set([...names].flatMap((name) => [name, `${name}:${port}`]));
}
/** Checks the Host header (a page on another site that rebinds its name to 127.0.0.1 is refused). */
export function checkHost(headers, settings) {
    if (!settings.allowedHosts)
        return { ok: true };
    const host = (headers.host ?? '').toLowerCase();
    if (settings.allowedHosts.has(host))
        return { ok: true };
    return { ok: false, status: 421, message: `This server does not answer to the host "${host}".` };
}
/** Checks the bearer token when one is configured. */
export function checkToken(headers, settings) {
    if (!settings.token)
        return { ok: true };
    const header = headers.authorization ?? '';
    const given = header.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : '';
    if (given && sameSecret(given, settings.token))
        return { ok: true };
    return {
        ok: false,
        status: 401,
        message: 'This server needs a token: send "Authorization: Bearer <token>" (open the page as /#token=<token>).',
    };
}
/**
 * Refuses cross-site POSTs: the body must be JSON (a plain HTML form cannot send that without a
 * CORS preflight, which this server never grants), nothing may mark the request as cross-site, and
 * the request must prove it is same-origin (Origin or Sec-Fetch-Site) or carry the page's CSRF token.
 */
export function checkPost(headers, settings) {
    const contentType = (headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (contentType !== 'application/json') {
        return {
            ok: false,
            status: 415,
            message: 'Send the request body as JSON (Content-Type: application/json).',
        };
    }
    const fetchSite = headerValue(headers['sec-fetch-site']);
    if (fetchSite && fetchSite !== 'same-origin' && fetchSite !== 'none') {
        return {
            ok: false,
            status: 403,
            message: `Cross-site requests are refused (Sec-Fetch-Site: ${fetchSite}).`,
        };
    }
    const origin = headerValue(headers.origin);
    const sameOrigin = origin !== undefined && origin === `http://${headers.host ?? ''}`;
    if (origin !== undefined && !sameOrigin) {
        return { ok: false, status: 403, message: `Cross-origin requests are refused (Origin: ${origin}).` };
    }
    const csrf = headerValue(headers['x-csrf-token']);
    if (sameOrigin || fetchSite === 'same-origin' || (csrf && sameSecret(csrf, settings.csrfToken))) {
        return { ok: true };
    }
    return {
        ok: false,
        status: 403,
        message: 'Send an Origin header that matches this server, or the X-CSRF-Token from the status page.',
    };
}
function headerValue(value) {
    return Array.isArray(value) ? value[0] : value;
}
function sameSecret(a, b) {
    const left = Buffer.from(a);
    const right = Buffer.from(b);
    return left.length === right.length && timingSafeEqual(left, right);
}
//# sourceMappingURL=request-guard.js.map