/**
 * A request target as the package reads it, parsed without `new URL()`: a target such as `//`,
 * `//x/api/chat` or `http://[` makes `new URL(target, base)` throw (or read `x` as a host), and a
 * hostile request must never be able to throw out of a request or `upgrade` listener.
 */
export interface RequestTarget {
  /** The raw path, up to `?` (compared as `ws` compares its `path`: no decoding, no dot segments). */
  path: string;
  /** The query after `?` (`URLSearchParams` never throws). */
  query: URLSearchParams;
}

/**
 * The origin-form target (`/path?query`), or undefined for anything else: absolute-form
 * (`http://host/path`), authority-form, `*`, an empty target. Those are answered 400.
 */
export function parseTarget(target: string | undefined): RequestTarget | undefined {
  if (target === undefined || !target.startsWith('/')) return undefined;
  const hash = target.indexOf('#');
  const raw = hash === -1 ? target : target.slice(0, hash);
  const question = raw.indexOf('?');
  if (question === -1) return { path: raw, query: new URLSearchParams() };
  return { path: raw.slice(0, question), query: new URLSearchParams(raw.slice(question + 1)) };
}

/** `decodeURIComponent` that answers undefined for a malformed escape instead of throwing. */
export function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
