import type { Connection } from './connection.js';

/** Pings every connection each interval; one that did not answer the previous ping is terminated. */
export function startHeartbeat(connections: ReadonlySet<Connection>, intervalMs: number): () => void {
  if (intervalMs <= 0) return () => undefined;
  const timer = setInterval(() => {
    for (const connection of connections) {
      if (!connection.alive) {
        connection.socket.terminate();
        continue;
      }
      connection.alive = false;
      try {
        connection.socket.ping();
      } catch {
        // the socket is closing; 'close' will clean up
      }
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
