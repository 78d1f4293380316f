/**
 * What a client can ask for when it connects, in the URL's query (not a subprotocol: a server that
 * does not know it ignores a query parameter, while a browser fails a socket whose subprotocol the
 * server does not echo). Shared by the server and our client; no runtime dependency.
 */

/** `?accumulated=0`: the client rebuilds `accumulated` from the deltas; the server leaves it off. */
export const ACCUMULATED_PARAM = 'accumulated';

/** `url` with `accumulated=0` added to its query, keeping everything else as written. */
export function withoutAccumulated(url: string): string {
  if (new RegExp(`[?&]${ACCUMULATED_PARAM}=`).test(url)) return url;
  const hash = url.indexOf('#');
  const base = hash === -1 ? url : url.slice(0, hash);
  const fragment = hash === -1 ? '' : url.slice(hash);
  return `${base}${base.includes('?') ? '&' : '?'}${ACCUMULATED_PARAM}=0${fragment}`;
}

/** False when the upgrade request's URL says the client does not need `accumulated`. */
export function clientWantsAccumulated(requestUrl: string | undefined): boolean {
  const query = requestUrl?.split('?')[1];
  if (query === undefined) return true;
  const value = new URLSearchParams(query).get(ACCUMULATED_PARAM);
  return !(value === '0' || value === 'false');
}
