/**
 * The headers every answer of the status and docs servers carries: no MIME sniffing, no Referer to
 * other sites, never framed (clickjacking), never cached (the pages show live data).
 */
export function securityHeaders(): Record<string, string> {
  return {
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  };
}

/**
 * A Content-Security-Policy that refuses everything not listed: scripts and styles from the same
 * origin (files, never inline, unless a nonce is given), data from the same origin, never framed.
 */
export function contentSecurityPolicy(options: { nonce?: string; images?: string } = {}): string {
  // A page with its one stylesheet inline (the status page) allows that sheet by its nonce only.
  const styles = options.nonce ? `'nonce-${options.nonce}'` : "'self'";
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src ${styles}`,
    `img-src ${options.images ?? "'self' data:"}`,
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
