/**
 * Connections counted against `maxConnections`, the same on every front end: a slot is taken when
 * an upgrade is let in (before any await: `authenticate`, the handshake) and given back once, when
 * its socket closes or the upgrade is refused.
 */
export class ConnectionSlots {
  private taken = 0;

  constructor(private readonly max: number) {}

  get size(): number {
    return this.taken;
  }

  /** A release function, or undefined when every slot is taken. Releasing twice is harmless. */
  take(): (() => void) | undefined {
    if (this.taken >= this.max) return undefined;
    this.taken++;
    let held = true;
    return () => {
      if (held) this.taken--;
      held = false;
    };
  }
}
