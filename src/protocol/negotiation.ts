/**
 * What a client can ask for when it connects, in the URL's query (not a subprotocol: a server that
 * does not know it ignores a query parameter, while a browser fails a socket whose subprotocol the
 * server does not echo). Shared by the server and our client; no runtime dependency.
 */

/** `?accumulated=0`: the client rebuilds `accumulated` from the deltas; the server leaves it off. */
export const ACCUMULATED_PARAM = 'accumulated';

/**
 * `?coalesceMs=16`: the delivery window this client asks for (the server's `coalesceMs`, for this
 * socket only; the longer of the two applies). A browser shows at most one update per display
 * frame, and pays for every WebSocket message it reads: each message's data stays on the page's
 * heap until a full garbage collection, which then frees them one by one. After a fast reply of
 * 100,000 one-delta messages that collection stalls the page for 20 to 60 ms; deltas merged per
 * display frame leave nothing to collect.
 */
export const COALESCE_PARAM = 'coalesceMs';

/** The longest window a client may ask for; a longer ask gets this. */
export const MAX_ASKED_COALESCE_MS = 1000;

/** `url` with `name=value` added to its query, unless it names `name` already; the rest as written. */
function withParam(url: string, name: string, value: string): string {
  if (new RegExp(`[?&]${name}=`).test(url)) return url;
  const hash = url.indexOf('#');
  const base = hash === -1 ? url : url.slice(0, hash);
  const fragment = hash === -1 ? '' : url.slice(hash);
  return `${base}${base.includes('?') ? '&' : '?'}${name}=${value}${fragment}`;
}

/** One query parameter of the upgrade request's URL, or null. */
function queryParam(requestUrl: string | undefined, name: string): string | null {
  const query = requestUrl?.split('?')[1];
  return query === undefined ? null : new URLSearchParams(query).get(name);
}

/** `url` with `accumulated=0` added to its query, keeping everything else as written. */
export function withoutAccumulated(url: string): string {
  return withParam(url, ACCUMULATED_PARAM, '0');
}

/** False when the upgrade request's URL says the client does not need `accumulated`. */
export function clientWantsAccumulated(requestUrl: string | undefined): boolean {
  const value = queryParam(requestUrl, ACCUMULATED_PARAM);
  return !(value === '0' || value === 'false');
}

/** `url` asking for a delivery window of `ms` (nothing added for 0). */
export function withCoalesce(url: string, ms: number): string {
  return ms > 0 ? withParam(url, COALESCE_PARAM, String(ms)) : url;
}

/**
 * The delivery window the upgrade request's URL asks for, in ms: 0 when it asks for none or for
 * something that is not a number of ms (a server ignores what it does not understand), at most
 * `MAX_ASKED_COALESCE_MS`.
 */
export function askedCoalesceMs(requestUrl: string | undefined): number {
  const value = queryParam(requestUrl, COALESCE_PARAM);
  if (value === null || !/^\d+(\.\d+)?$/.test(value)) return 0;
  return Math.min(Number(value), MAX_ASKED_COALESCE_MS);
}
