import type { IncomingMessage } from 'node:http';
import { originAllowed } from '../gate/index.js';
import type { ResolvedOptions } from './options.js';

export type Verdict = { ok: true; auth: unknown } | { ok: false; status: number; reason: string };

/** Decides whether an upgrade request may become a connection: origin first, then authenticate. */
export async function checkUpgrade(request: IncomingMessage, options: ResolvedOptions): Promise<Verdict> {
  if (!originAllowed(options.allowedOrigins, request.headers.origin, options.onError))
    return { ok: false, status: 403, reason: 'Forbidden' };
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
    return { ok: true, auth: auth === true ? undefined : auth };
  } catch (error) {
    options.onError(error, 'authenticate');
    return { ok: false, status: 401, reason: 'Unauthorized' };
  }
}
