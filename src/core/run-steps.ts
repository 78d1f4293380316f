import { type llm, voice } from '@livekit/agents';
import type { ToolStepEvent } from './events.js';

/**
 * The live tool steps of a session: a `tool_call` when the agent starts executing a tool, a
 * `tool_output` when it returns.
 *
 * `@livekit/agents` 1.9 has no public live signal for this: `function_tools_executed` fires only
 * after every tool of a step has run, too late for "running…". What does fire at the right moments
 * is the speech handle's item callback (`_addItemAddedCallback`, the one `RunResult` records its
 * events with): the framework adds the `FunctionCall` when the tool starts executing and the
 * `FunctionCallOutput` when it returns. The handle itself comes from the public `speech_created`
 * event. This file is the only place that reaches the internal hook, so the workaround stays
 * replaceable; `test/run-steps.test.ts` fails if a framework upgrade removes or renames it.
 */

type ItemCallback = (item: llm.ChatItem) => void;

/** The internal members of `SpeechHandle` this file relies on. */
interface ItemAddedHooks {
  _addItemAddedCallback(callback: ItemCallback): void;
  _removeItemAddedCallback(callback: ItemCallback): void;
}

/** Anything that announces speech handles: an `AgentSession`. */
export type SessionWithSpeech = Pick<voice.AgentSession, 'on' | 'off'>;

function hasItemAddedHooks(handle: unknown): handle is ItemAddedHooks {
  const hooks = handle as Partial<ItemAddedHooks> | null;
  return (
    typeof hooks?._addItemAddedCallback === 'function' && typeof hooks._removeItemAddedCallback === 'function'
  );
}

const MISSING_HOOK =
  'livekit-streaming-text: cannot watch tool steps: SpeechHandle._addItemAddedCallback is missing ' +
  'from this version of @livekit/agents. Please report it with the installed version.';

/** True when the installed framework has the hook this file relies on. */
export function canWatchToolSteps(): boolean {
  return hasItemAddedHooks(voice.SpeechHandle?.prototype);
}

/** The step a chat item stands for, or `undefined` for items that are not tool steps. */
export function toolStepOf(item: llm.ChatItem): ToolStepEvent | undefined {
  if (item.type === 'function_call') {
    return { type: 'tool_call', callId: item.callId, name: item.name, arguments: item.args };
  }
  if (item.type === 'function_call_output') {
    return {
      type: 'tool_output',
      callId: item.callId,
      name: item.name,
      output: item.output,
      isError: item.isError,
    };
  }
  return undefined;
}

/**
 * Calls `onStep` with each tool step of every speech the session creates from now on, as it
 * happens. Returns a function that stops watching. Throws at once if the framework lacks the hook.
 *
 * A speech's callback is removed when the speech is done, so a tool that reports after its speech
 * was interrupted cannot leak a step into the next turn.
 */
export function watchToolSteps(
  session: SessionWithSpeech,
  onStep: (step: ToolStepEvent) => void,
): () => void {
  if (!canWatchToolSteps()) throw new Error(MISSING_HOOK);
  const watched = new Set<{ handle: ItemAddedHooks; callback: ItemCallback }>();
  const onSpeech = (event: voice.SpeechCreatedEvent) => {
    const handle: unknown = event.speechHandle;
    if (!hasItemAddedHooks(handle)) return;
    const callback: ItemCallback = (item) => {
      const step = toolStepOf(item);
      if (step !== undefined) onStep(step);
    };
    const entry = { handle, callback };
    watched.add(entry);
    handle._addItemAddedCallback(callback);
    event.speechHandle.addDoneCallback(() => {
      handle._removeItemAddedCallback(callback);
      watched.delete(entry);
    });
  };
  session.on(voice.AgentSessionEventTypes.SpeechCreated, onSpeech);
  return () => {
    session.off(voice.AgentSessionEventTypes.SpeechCreated, onSpeech);
    for (const { handle, callback } of watched) handle._removeItemAddedCallback(callback);
    watched.clear();
  };
}
