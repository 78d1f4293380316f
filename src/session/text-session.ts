import { type llm, voice } from '@livekit/agents';
import type { StreamEvent } from '../core/events.js';
import type { StreamReader } from '../core/stream-reader.js';
import { StreamingTextOutput } from '../core/streaming-text-output.js';
import type { SessionOptions } from './options.js';

/**
 * An `AgentSession` for a text client: no "user away" timer by default (a text client is not a
 * microphone, and the framework's timer outlives `session.close()` by up to 15 s); `extra` (the
 * app's `sessionOptions`) can turn it back on.
 */
export function createTextSession(
  model: llm.LLM | undefined,
  extra: SessionOptions | undefined,
): voice.AgentSession {
  return new voice.AgentSession({ userAwayTimeout: null, ...extra, ...(model ? { llm: model } : {}) });
}

/**
 * The output a server streams a session's turns from, and its one reader. The server reads with
 * `subscribe()` only, so there is no backlog for `stream()` readers; tool steps go through the same
 * reader as the text, so they keep their true order among it.
 */
export function attachServerReader(
  session: voice.AgentSession,
  bufferSize: number,
): { output: StreamingTextOutput<StreamEvent>; reader: StreamReader } {
  const output = StreamingTextOutput.attach(session, { bufferSize, backlogSize: 0, toolSteps: true });
  return { output, reader: output.subscribe() };
}
