import type { Duplex } from 'node:stream';

/** Counts the writes that reach a TCP socket: one per `_write`/`_writev`, i.e. per syscall. */
export function countWrites(socket: Duplex): { readonly count: number } {
  const counter = { count: 0 };
  const target = socket as Duplex & {
    _write: (...args: unknown[]) => void;
    _writev?: (...args: unknown[]) => void;
  };
  const write = target._write.bind(target);
  target._write = (...args) => {
    counter.count++;
    write(...args);
  };
  if (target._writev) {
    const writev = target._writev.bind(target);
    target._writev = (...args) => {
      counter.count++;
      writev(...args);
    };
  }
  return counter;
}
