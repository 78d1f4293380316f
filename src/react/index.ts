import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import {
  type ClientStatus,
  type ResumeOutcome,
  StreamingAgentClient,
  type StreamingAgentClientOptions,
  StreamingClientError,
} from '../client/index.js';
import { namesCoalesce } from '../protocol/negotiation.js';
import { type AgentTurn, TurnStore } from './turn-store.js';

export { Paragraphs, StreamingText, type StreamingTextProps, useParagraphs } from './streaming-text.js';
export type { AgentTurn, TextPart, ToolPart, TurnPart, TurnStatus } from './turn-store.js';

/**
 * The connection as the hook reports it: the client's status, except that after a reconnect it
 * says `resumed` (the same session, nothing lost), `restored` (the server had lost the session,
 * e.g. it restarted, and a new one starts from this page's transcript: the agent remembers the
 * chat) or `expired` (a new session that starts empty). In the last two, a reply that was being
 * written when the server went ends with an error.
 */
export type AgentStatus = ClientStatus | ResumeOutcome;

/**
 * The delivery window the hook asks for unless told otherwise: one display frame. React shows at
 * most one update per frame, so deltas merged per frame lose nothing on screen, and the page reads
 * one WebSocket message per frame instead of one per delta (after a fast reply of 100,000
 * one-delta messages, collecting them stalls the page for tens of ms). A model slower than one
 * delta per frame is not delayed at all: only a delta that follows the one before within the
 * window waits.
 */
export const HOOK_COALESCE_MS = 16;

export interface UseStreamingAgentOptions extends StreamingAgentClientOptions {
  /**
   * Re-render at most once per this many milliseconds. Default: at most once per animation
   * frame. Read once, when the hook first renders; a bad value throws there (`TypeError` /
   * `RangeError`).
   */
  throttleMs?: number;
}

export interface UseStreamingAgentResult {
  /** A reply is being generated. */
  isStreaming: boolean;
  /** The text of the latest turn so far (joined when read). */
  readonly currentText: string;
  /** The latest turn has ended (result or error). */
  isComplete: boolean;
  sendMessage: (message: string) => void;
  /** The latest error message, cleared by the next `sendMessage`. */
  error: string | null;
  /** `open`, or after a reconnect `resumed` (same session), `restored` or `expired` (see `AgentStatus`). */
  status: AgentStatus;
  /** Connected and ready: `status` is `open`, `resumed`, `restored` or `expired`. */
  isOpen: boolean;
  /** Stops the generation in progress. */
  stop: () => void;
  /** Every turn of this connection, oldest first. A turn that did not change keeps its object. */
  turns: AgentTurn[];
}

/**
 * Connects to a streaming server and keeps the conversation in an external store that React
 * reads with `useSyncExternalStore`. Each delta costs a push; the component re-renders at most
 * once per animation frame (or per `throttleMs`), and only the turn that changed gets a new object.
 * The socket is closed on unmount and replaced when `url` changes.
 */
export function useStreamingAgent(
  url: string,
  options: UseStreamingAgentOptions = {},
): UseStreamingAgentResult {
  const [store] = useState(() => new TurnStore({ throttleMs: options.throttleMs }));
  const turns = useSyncExternalStore(store.subscribe, store.getTurns, store.getTurns);
  const [status, setStatus] = useState<AgentStatus>('idle');
  const [error, setError] = useState<string | null>(null);
  const clientRef = useRef<StreamingAgentClient | null>(null);
  // Options are read when connecting; a new object each render must not reconnect.
  const optionsRef = useRef(options);
  optionsRef.current = options;

  useEffect(() => {
    const { throttleMs: _, ...clientOptions } = optionsRef.current;
    const client = new StreamingAgentClient(url, {
      reconnect: true,
      sendTranscript: true,
      ...clientOptions,
      // The hook's window unless the options or the URL say which.
      coalesceMs: clientOptions.coalesceMs ?? (namesCoalesce(url) ? undefined : HOOK_COALESCE_MS),
    });
    clientRef.current = client;
    client.onStatus = setStatus;
    client.onResume = setStatus;
    client.onDelta = (delta, accumulated, frame) =>
      // After a resume gap the server restates the open generation whole: it replaces the text.
      frame.restate
        ? store.restate(frame.id, frame.generation, accumulated)
        : store.delta(frame.id, frame.generation, delta);
    client.onComplete = (text, frame) => store.complete(frame.id, frame.generation, text);
    client.onToolCall = (frame) => store.toolCall(frame.id, frame);
    client.onToolOutput = (frame) => store.toolOutput(frame.id, frame);
    client.onResult = (events, frame) => store.result(frame.id, events, frame.interrupted === true);
    client.onError = (message, err) => {
      // A session that was gone: `status` says so (`expired`), and no turn failed of it.
      if (err.code === 'session_expired' && err.id === undefined) return;
      setError(message);
      store.error(err.id, message);
    };
    client.connect().catch((err: Error) => setError(err.message));
    return () => {
      clientRef.current = null;
      client.close();
    };
  }, [url, store]);

  const sendMessage = useCallback(
    (message: string) => {
      const client = clientRef.current;
      if (client === null) return;
      setError(null);
      try {
        store.addTurn(client.send(message), message);
      } catch (err) {
        setError((err as Error).message);
        // Refused before it was sent (`message_too_long`): the turn shows the message and why.
        if (err instanceof StreamingClientError && err.id !== undefined) {
          store.addTurn(err.id, message);
          store.error(err.id, err.message);
        }
      }
    },
    [store],
  );

  const stop = useCallback(() => {
    try {
      clientRef.current?.interrupt();
    } catch (err) {
      setError((err as Error).message);
    }
  }, []);

  const latest = turns.at(-1);
  return {
    isStreaming: latest?.status === 'streaming',
    // A getter: joining a long reply costs only the renders that read it.
    get currentText() {
      return latest?.text ?? '';
    },
    isComplete: latest !== undefined && latest.status !== 'streaming',
    sendMessage,
    error,
    status,
    isOpen: status === 'open' || status === 'resumed' || status === 'restored' || status === 'expired',
    stop,
    turns,
  };
}
