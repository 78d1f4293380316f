import type { StreamEvent } from '../../src/core/events.js';
import { EventFramer } from '../../src/session/event-frames.js';
import type { Row } from '../report.js';

/**
 * 8. Bytes on the wire for one long reply, by `sendAccumulated` setting. Counted exactly from the
 * frames the server would send (no timing involved): `accumulated` repeats the whole reply so far
 * on every frame, so its cost grows with the square of the reply.
 */
export function wireBytes(deltas: number): Row[] {
  const settings: Array<[string, boolean | number]> = [
    ['every frame (default, the seed)', true],
    ['every 50th frame', 50],
    ['never', false],
  ];
  const scenario = `8. bytes on the wire, one ${deltas.toLocaleString('en-US')}-delta reply (3-char chunks)`;
  let neverBytes = 0;
  const results = settings.map(([name, setting]) => {
    const framer = new EventFramer(setting);
    let accumulated = '';
    let bytes = 0;
    for (let i = 0; i < deltas; i++) {
      const delta = 'abc';
      accumulated += delta;
      const event: StreamEvent = { type: 'text_delta', delta, accumulated, generation: 1 };
      bytes += Buffer.byteLength(JSON.stringify(framer.frame(event, undefined)));
    }
    bytes += Buffer.byteLength(
      JSON.stringify(framer.frame({ type: 'text_complete', text: accumulated, generation: 1 }, undefined)),
    );
    if (setting === false) neverBytes = bytes;
    return { name, bytes };
  });
  return results.map(({ name, bytes }) => ({
    scenario,
    contestant: `accumulated ${name}`,
    metric: 'bytes sent',
    unit: 'MB',
    value: bytes / 1e6,
    ratio: bytes / neverBytes,
    baseline: 'never',
  }));
}
