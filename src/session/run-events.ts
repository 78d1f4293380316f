import type { voice } from '@livekit/agents';
import type { ResultEvent } from '../protocol/frames.js';

type RunEvent = voice.testing.RunEvent;

/** A run's events in the seed's `result` shape. */
export function toResultEvents(events: readonly RunEvent[]): ResultEvent[] {
  return events.map(toResultEvent);
}

function toResultEvent(event: RunEvent): ResultEvent {
  switch (event.type) {
    case 'message': {
      const out: ResultEvent = {
        type: 'message',
        role: event.item.role,
        content: event.item.textContent ?? '',
      };
      if (event.item.interrupted) out.interrupted = true;
      return out;
    }
    case 'function_call':
      return {
        type: 'function_call',
        name: event.item.name,
        arguments: event.item.args,
        callId: event.item.callId,
      };
    case 'function_call_output':
      return {
        type: 'function_call_output',
        output: event.item.output,
        name: event.item.name,
        callId: event.item.callId,
        isError: event.item.isError,
      };
    case 'agent_handoff':
      return {
        type: 'agent_handoff',
        newAgentId: event.item.newAgentId,
        oldAgentId: event.item.oldAgentId,
      };
  }
}
