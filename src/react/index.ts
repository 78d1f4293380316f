import { useCallback, useEffect, useRef, useState } from 'react';
import {
  type ClientStatus,
  type ResultEvent,
  type ResumeOutcome,
  StreamingAgentClient,
  type StreamingAgentClientOptions,
} from '../client/index.js';

export type {
  ClientStatus,
  ResultEvent,
  ResumeOutcome,
  StreamingAgentClientOptions,
} from '../client/index.js';

/**
 * The connection as the hook reports it: the client's status, except that after a reconnect it
 * says `resumed` (the same session, nothing lost) or `expired` (a fresh session; the old one's
 * unanswered turns end with an error).
 */
export type AgentStatus = ClientStatus | ResumeOutcome;

/** One message and its reply, as it streams. */
export interface AgentTurn {
  id: string;
  message: string;
  /** The text of each generation: a turn with a tool call has the text before and after it. */
  generations: string[];
  /** The generations joined by a blank line. */
  text: string;
  /** The turn's events (tool calls and their outputs included), once its result arrived. */
  events: ResultEvent[];
  status: 'streaming' | 'complete' | 'interrupted' | 'error';
  error?: string;
  /** The connection-wide number of this turn's first generation. */
  firstGeneration?: number;
}

export interface UseStreamingAgentResult {
  /** A reply is being generated. */
  isStreaming: boolean;
  /** The text of the latest turn so far. */
  currentText: string;
  /** The latest turn has ended (result or error). */
  isComplete: boolean;
  sendMessage: (message: string) => void;
  /** The latest error message, cleared by the next `sendMessage`. */
  error: string | null;
  /** `open`, or after a reconnect `resumed` (same session) or `expired` (a fresh one). */
  status: AgentStatus;
  /** Connected and ready: `status` is `open`, `resumed` or `expired`. */
  isOpen: boolean;
  /** Stops the generation in progress. */
  stop: () => void;
  /** Every turn of this connection, oldest first. */
  turns: AgentTurn[];
}

/** Puts a generation's text in its place in the turn; generations are numbered per connection. */
function withGeneration(turn: AgentTurn, generation: number, text: string): AgentTurn {
  const first = turn.firstGeneration ?? generation;
  const generations = [...turn.generations];
  generations[generation - first] = text;
  return { ...turn, firstGeneration: first, generations, text: generations.filter(Boolean).join('\n\n') };
}

/**
 * Connects to a streaming server and keeps the conversation in React state. The socket is closed
 * on unmount and replaced when `url` changes.
 */
export function useStreamingAgent(
  url: string,
  options: StreamingAgentClientOptions = {},
): UseStreamingAgentResult {
  const [turns, setTurns] = useState<AgentTurn[]>([]);
  const [status, setStatus] = useState<AgentStatus>('idle');
  const [error, setError] = useState<string | null>(null);
  const clientRef = useRef<StreamingAgentClient | null>(null);
  // Options are read when connecting; a new object each render must not reconnect.
  const optionsRef = useRef(options);
  optionsRef.current = options;

  useEffect(() => {
    const client = new StreamingAgentClient(url, { reconnect: true, ...optionsRef.current });
    clientRef.current = client;
    const update = (id: string | undefined, change: (turn: AgentTurn) => AgentTurn) => {
      if (id === undefined) return;
      setTurns((all) => all.map((turn) => (turn.id === id ? change(turn) : turn)));
    };
    client.onStatus = setStatus;
    client.onResume = setStatus;
    client.onDelta = (_delta, accumulated, frame) =>
      update(frame.id, (turn) => withGeneration(turn, frame.generation, accumulated));
    client.onComplete = (text, frame) =>
      update(frame.id, (turn) => withGeneration(turn, frame.generation, text));
    client.onResult = (events, frame) =>
      update(frame.id, (turn) => ({
        ...turn,
        events,
        status: frame.interrupted ? 'interrupted' : 'complete',
      }));
    client.onError = (message, err) => {
      setError(message);
      update(err.id, (turn) => ({ ...turn, status: 'error', error: message }));
    };
    client.connect().catch((err: Error) => setError(err.message));
    return () => {
      clientRef.current = null;
      client.close();
    };
  }, [url]);

  const sendMessage = useCallback((message: string) => {
    const client = clientRef.current;
    if (client === null) return;
    setError(null);
    try {
      const id = client.send(message);
      const turn: AgentTurn = { id, message, generations: [], text: '', events: [], status: 'streaming' };
      setTurns((all) => [...all, turn]);
    } catch (err) {
      setError((err as Error).message);
    }
  }, []);

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
    currentText: latest?.text ?? '',
    isComplete: latest !== undefined && latest.status !== 'streaming',
    sendMessage,
    error,
    status,
    isOpen: status === 'open' || status === 'resumed' || status === 'expired',
    stop,
    turns,
  };
}
