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

/** The `name=…` pairs of a URL's query: `name` alone or `name=` anything. */
const names = (name: string) => (pair: string) => pair === name || pair.startsWith(`${name}=`);

/** A URL as written: what comes before its query, the query's `&`-separated pairs, its `#…`. */
function splitUrl(url: string): { path: string; pairs: string[]; fragment: string } {
  const hash = url.indexOf('#');
  const base = hash === -1 ? url : url.slice(0, hash);
  const fragment = hash === -1 ? '' : url.slice(hash);
  const mark = base.indexOf('?');
  const path = mark === -1 ? base : base.slice(0, mark);
  return { path, pairs: mark === -1 ? [] : base.slice(mark + 1).split('&'), fragment };
}

/**
 * `url` with `name=value` in its query, the rest as written. Where the URL names `name` already,
 * `replace` says who wins: the value given (an option set in code), or the URL (the default). With
 * `replace` and no value, the URL's `name` is taken out.
 */
function withParam(url: string, name: string, value: string | undefined, replace = false): string {
  const { path, pairs, fragment } = splitUrl(url);
  const named = names(name);
  if (!replace && pairs.some(named)) return url;
  const kept = pairs.filter((pair) => pair !== '' && !named(pair));
  if (value !== undefined) kept.push(`${name}=${value}`);
  return kept.length === 0 ? `${path}${fragment}` : `${path}?${kept.join('&')}${fragment}`;
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

/**
 * `url` asking for a delivery window of `ms`, in place of any the URL asks for: 0 takes the URL's
 * ask out (none), and no `ms` leaves the URL as written (an ask written in it stands).
 */
export function withCoalesce(url: string, ms: number | undefined): string {
  if (ms === undefined) return url;
  return withParam(url, COALESCE_PARAM, ms > 0 ? String(ms) : undefined, true);
}

/** True when `url` already says which delivery window it asks for (`coalesceMs=` in its query). */
export function namesCoalesce(url: string): boolean {
  return splitUrl(url).pairs.some(names(COALESCE_PARAM));
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
