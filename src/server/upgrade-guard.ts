import type { IncomingMessage } from 'node:http';
import { askApp, originAllowed } from '../gate/index.js';
import type { ResolvedOptions } from '../session/options.js';
import { identityKey } from '../session/registry.js';

export type Verdict = { ok: true; auth: unknown } | { ok: false; status: number; reason: string };

/** Decides whether an upgrade request may become a connection: origin first, then authenticate. */
export async function checkUpgrade(request: IncomingMessage, options: ResolvedOptions): Promise<Verdict> {
  if (!originAllowed(options.allowedOrigins, request.headers.origin, options.onError))
    return { ok: false, status: 403, reason: 'Forbidden' };
  if (options.authenticate === undefined) return { ok: true, auth: undefined };
  const answer = await askApp(() => options.authenticate!(request), {
    where: 'authenticate',
    timeoutMs: options.authenticateTimeoutMs,
    onError: options.onError,
  });
  if (!answer.ok) {
    return answer.why === 'timed out'
      ? { ok: false, status: 503, reason: 'Service Unavailable' }
      : { ok: false, status: 401, reason: 'Unauthorized' };
  }
  if (answer.value === false) return { ok: false, status: 401, reason: 'Unauthorized' };
  const auth = answer.value === true ? undefined : answer.value;
  // A resume token is bound to this value: one without a collision-free encoding is a bug to
  // report, not an identity that could match another user's.
  if (options.resumeWindowMs > 0) {
    try {
      identityKey(auth ?? null, 'authenticate() result');
    } catch (error) {
      options.onError(error, 'authenticate');
      return { ok: false, status: 500, reason: 'Internal Server Error' };
    }
  }
  return { ok: true, auth };
}
