/**
 * What a server process shares about its sessions, so that another process can resume one: the
 * token's owner, and the conversation (each message and the text that answered it). The frames
 * themselves are in the `FrameLog`. Implemented on Redis by `RedisSessionStore`.
 */

/** One entry of a session's conversation, in order. */
export type ConversationRecord =
  /** A message the session accepted. */
  | { kind: 'input'; id?: string; text: string }
  /** The end of a message's turn: the assistant's text (empty for an error). */
  | { kind: 'outcome'; id?: string; text: string };

export interface StoredSession {
  sessionId: string;
  /** The process holding it; empty when none does. */
  owner: string;
  /** Hex SHA-256 of the identity the token is bound to. */
  identity: string;
}

export interface SessionStore {
  /** This process's id, as other processes see it. */
  readonly processId: string;
  /** How long a process's lease lasts: a dead process's sessions are free at most this long after. */
  readonly leaseMs: number;
  /**
   * Starts this process's lease (it is alive while it renews it). `onTakeover` is called with the
   * id of a session this process holds that another process has been asked to take over.
   */
  start(onTakeover: (sessionId: string) => void): Promise<void>;
  /** Ends the lease: other processes may take this one's sessions at once. */
  stop(): Promise<void>;
  /** Records that this process holds a session under a token key (fire-and-forget). */
  register(key: string, session: StoredSession): void;
  find(key: string): Promise<StoredSession | undefined>;
  /** Whether a process holds its lease now. */
  isAlive(processId: string): Promise<boolean>;
  /** Asks a live process to give a session up. */
  requestTakeover(processId: string, sessionId: string): Promise<void>;
  /** The session under `key` is no longer held by anyone (fire-and-forget). */
  release(key: string): void;
  /**
   * The session under `key` has no client: forget the token `ms` from now (its resume window),
   * unless it is registered again first (fire-and-forget). Kept by the store itself, so the window
   * holds even when the process that set it closes or dies.
   */
  expire(key: string, ms: number): void;
  /** Appends to a session's conversation (fire-and-forget). */
  record(sessionId: string, entry: ConversationRecord): void;
  conversation(sessionId: string): Promise<ConversationRecord[]>;
  /** The session under `key` is over: forget it and its conversation. */
  forget(key: string, sessionId: string): void;
}
