// The status page's calls to its JSON API: the bearer token (from #token=… or asked once) and, on
// every POST, the page's CSRF token.

const TOKEN_KEY = 'bambuzled-token';
const csrf = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? '';
let askedForToken = false;

/** A token given as /#token=… is kept for the session and taken out of the address bar. */
export function takeTokenFromHash(): void {
  const hashToken = /token=([^&]+)/.exec(location.hash);
  if (hashToken?.[1]) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(hashToken[1]));
    history.replaceState(null, '', location.pathname);
  }
}

function headers(json: boolean): Record<string, string> {
  const h: Record<string, string> = { accept: 'application/json' };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) h.authorization = `Bearer ${token}`;
  if (json) {
    h['content-type'] = 'application/json';
    h['x-csrf-token'] = csrf;
  }
  return h;
}

/** GET (no body) or POST (a JSON body); an error answer becomes an Error with the server's message. */
export async function api<T>(path: string, body?: unknown): Promise<T> {
  const init: RequestInit =
    body === undefined
      ? { headers: headers(false) }
      : { method: 'POST', headers: headers(true), body: JSON.stringify(body) };
  const r = await fetch(path, init);
  const data = (await r.json()) as T & { error?: string };
  if (r.status === 401 && !askedForToken) {
    askedForToken = true;
    const token = prompt('This scheduler needs its token:');
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
  }
  if (!r.ok) throw new Error(data.error || `HTTP ${r.status}`);
  return data;
}
