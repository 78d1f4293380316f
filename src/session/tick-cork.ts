/** The TCP (or TLS) socket under a WebSocket: what the upgrade request came in on. */
export interface Corkable {
  cork(): void;
  uncork(): void;
  readonly destroyed: boolean;
}

/**
 * Returns `hold()`: call it before each write to a WebSocket, and everything written in the same
 * tick leaves in one `writev`. The first `hold()` of a tick corks the socket under the WebSocket and
 * a `nextTick` uncorks it, so a burst (a fast model, a replay, a loop catching up after a stall)
 * costs one syscall instead of one per frame. `ws` writes each frame as header + payload inside its
 * own cork/uncork; corks nest, so this one holds them all until the tick ends. Nothing waits longer
 * than the current tick: a lone frame goes out exactly as before.
 */
export function tickCork(transport: Corkable | undefined): () => void {
  if (transport === undefined) return () => undefined;
  let corked = false;
  const uncork = () => {
    corked = false;
    transport.uncork();
  };
  return () => {
    if (corked || transport.destroyed) return;
    corked = true;
    transport.cork();
    process.nextTick(uncork);
  };
}
