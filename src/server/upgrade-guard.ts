import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ResolvedOptions } from './options.js';
import { identityKey } from './session-registry.js';

export type Verdict = { ok: true; auth: unknown } | { ok: false; status: number; reason: string };

/** Decides whether an upgrade request may become a connection: origin first, then authenticate. */
export async function checkUpgrade(request: IncomingMessage, options: ResolvedOptions): Promise<Verdict> {
  const allowed = options.allowedOrigins;
  if (allowed !== undefined) {
    const origin = request.headers.origin;
    let ok = false;
    try {
      ok =
        typeof allowed === 'function'
          ? Boolean(allowed(origin))
          : origin !== undefined && allowed.includes(origin);
    } catch (error) {
      options.onError(error, 'allowedOrigins');
    }
    if (!ok) return { ok: false, status: 403, reason: 'Forbidden' };
  }
  if (options.authenticate === undefined) return { ok: true, auth: undefined };
  let timer: NodeJS.Timeout | undefined;
  // An `authenticate` that never settles must not hold the socket (or `close()`) forever.
  const timedOut = new Promise<Verdict>((resolve) => {
    timer = setTimeout(() => {
      options.onError(
        new Error(
          `authenticate did not answer within ${options.authenticateTimeoutMs} ms (authenticateTimeoutMs)`,
        ),
        'authenticate',
      );
      resolve({ ok: false, status: 503, reason: 'Service Unavailable' });
    }, options.authenticateTimeoutMs);
  });
  try {
    return await Promise.race([authenticate(request, options), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

async function authenticate(request: IncomingMessage, options: ResolvedOptions): Promise<Verdict> {
  try {
    const auth = await options.authenticate!(request);
    if (auth === false) return { ok: false, status: 401, reason: 'Unauthorized' };
    const kept = auth === true ? undefined : auth;
    // A resume token is bound to this value: one without a collision-free encoding is a bug to
    // report, not an identity that could match another user's.
    if (options.resumeWindowMs > 0) {
      try {
        identityKey(kept ?? null, 'authenticate() result');
      } catch (error) {
        options.onError(error, 'authenticate');
        return { ok: false, status: 500, reason: 'Internal Server Error' };
      }
    }
    return { ok: true, auth: kept };
  } catch (error) {
    options.onError(error, 'authenticate');
    return { ok: false, status: 401, reason: 'Unauthorized' };
  }
}

/** Answers an upgrade request with a plain HTTP error and drops the socket. */
export function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  if (socket.writable) {
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\n` +
        `Content-Length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`,
    );
  }
  socket.destroy();
}
