import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { BAD_TARGET, NOT_FOUND, refuseUpgrade } from './refuse.js';
import { parseTarget } from './target.js';

/**
 * An upgrade for another path, on a server the package shares: another `upgrade` listener may
 * own it, so it is left alone, unless this listener is the only one (then nobody would ever
 * answer: Node stops answering upgrades itself once any listener exists). `owned`: the package
 * made the server, so every upgrade is its to answer.
 */
export function refuseUnclaimedUpgrade(
  server: HttpServer,
  request: IncomingMessage,
  socket: Duplex,
  owned = false,
): void {
  if (!owned && server.listenerCount('upgrade') > 1) return;
  socket.on('error', () => undefined);
  if (parseTarget(request.url) === undefined) refuseUpgrade(socket, ...BAD_TARGET);
  else refuseUpgrade(socket, ...NOT_FOUND);
}
