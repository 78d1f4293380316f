import type { StreamEvent } from '../events.js';
import type { CompleteFrame, DeltaFrame, ToolCallFrame, ToolOutputFrame } from '../protocol.js';

export type EventFrame = DeltaFrame | CompleteFrame | ToolCallFrame | ToolOutputFrame;

/**
 * Turns output events into protocol frames. `accumulated` repeats the whole reply on every frame,
 * so the bytes sent grow with the square of the reply; `sendAccumulated` trims it.
 */
export class EventFramer {
  private deltasSent = 0;

  constructor(private readonly sendAccumulated: boolean | number) {}

  frame(event: StreamEvent, id: string | undefined): EventFrame {
    const frame = this.bare(event);
    if (id !== undefined) frame.id = id;
    return frame;
  }

  private bare(event: StreamEvent): EventFrame {
    switch (event.type) {
      case 'text_delta': {
        const frame: DeltaFrame = { type: 'delta', delta: event.delta, generation: event.generation };
        if (this.includeAccumulated()) frame.accumulated = event.accumulated;
        return frame;
      }
      case 'text_complete':
        this.deltasSent = 0;
        return { type: 'complete', text: event.text, generation: event.generation };
      case 'tool_call':
        return { type: 'tool_call', callId: event.callId, name: event.name, arguments: event.arguments };
      case 'tool_output':
        return {
          type: 'tool_output',
          callId: event.callId,
          name: event.name,
          output: event.output,
          isError: event.isError,
        };
    }
  }

  private includeAccumulated(): boolean {
    const every = this.sendAccumulated;
    const index = this.deltasSent++;
    if (typeof every === 'boolean') return every;
    return index % every === 0;
  }
}
