import type { StreamEvent } from '../events.js';
import type { CompleteFrame, DeltaFrame } from '../protocol.js';

/**
 * Turns output events into protocol frames. `accumulated` repeats the whole reply on every frame,
 * so the bytes sent grow with the square of the reply; `sendAccumulated` trims it.
 */
export class EventFramer {
  private deltasSent = 0;

  constructor(private readonly sendAccumulated: boolean | number) {}

  frame(event: StreamEvent, id: string | undefined): DeltaFrame | CompleteFrame {
    if (event.type === 'text_complete') {
      this.deltasSent = 0;
      const frame: CompleteFrame = { type: 'complete', text: event.text, generation: event.generation };
      if (id !== undefined) frame.id = id;
      return frame;
    }
    const frame: DeltaFrame = { type: 'delta', delta: event.delta, generation: event.generation };
    if (this.includeAccumulated()) frame.accumulated = event.accumulated;
    if (id !== undefined) frame.id = id;
    return frame;
  }

  private includeAccumulated(): boolean {
    const every = this.sendAccumulated;
    const index = this.deltasSent++;
    if (typeof every === 'boolean') return every;
    return index % every === 0;
  }
}
