import type { WebSocket } from 'ws';

/** A socket the heartbeat watches: `alive` is set by each pong (see `watchPongs`), cleared by each ping. */
export interface HeartbeatPeer {
  alive: boolean;
  readonly socket: WebSocket;
}

/** Marks `peer` alive on each pong; call once per socket. */
export function watchPongs(peer: HeartbeatPeer): void {
  peer.socket.on('pong', () => {
    peer.alive = true;
  });
}

/**
 * Pings every peer each interval; one that did not answer the previous ping is terminated. The
 * same for every front end's sockets (the protocol's connections, the AI SDK's sockets).
 */
export function startHeartbeat(peers: ReadonlySet<HeartbeatPeer>, intervalMs: number): () => void {
  if (intervalMs <= 0) return () => undefined;
  const timer = setInterval(() => {
    for (const peer of peers) {
      if (!peer.alive) {
        peer.socket.terminate();
        continue;
      }
      peer.alive = false;
      try {
        peer.socket.ping();
      } catch {
        // the socket is closing; 'close' will clean up
      }
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
