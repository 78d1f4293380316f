import { MAX_ASKED_COALESCE_MS } from '../protocol/negotiation.js';
import type { ReconnectOptions } from './reconnect.js';
import type { WebSocketConstructor } from './websocket-like.js';

export interface StreamingAgentClientOptions {
  /** A WebSocket class, where the runtime has none (Node 20: `import { WebSocket } from 'ws'`). */
  WebSocket?: WebSocketConstructor;
  protocols?: string | string[];
  /** Reconnect after an unexpected close, with backoff. Off by default. */
  reconnect?: boolean | ReconnectOptions;
  /** `connect()` gives up after this long. Default 10 s. */
  connectTimeoutMs?: number;
  /**
   * Keep the conversation (each answered message, the agent's texts, finished tool steps) and
   * send it when resuming, so a server with `restoreTranscript` whose session is gone (a restart)
   * starts a new one that remembers the chat: the resume then ends `restored`. Its newest part
   * that fits in the server's `maxPayload` is sent. Default false (the hook turns it on).
   */
  sendTranscript?: boolean;
  /**
   * The delivery window to ask the server for, in ms (at most 1000): deltas that come within it
   * of the one before leave together, as one frame. Given, it replaces a `coalesceMs` written in
   * the URL (0: ask for none); not given, the URL's stands, and without one nothing is asked (the
   * React hook asks for 16, one display frame). Worth 16 for a page that a very fast model streams
   * to: the browser pays for every WebSocket message, and after 100,000 one-delta messages a
   * garbage collection stalls the page for tens of ms.
   */
  coalesceMs?: number;
}

/** The longest delay `setTimeout` honours; past it Node and browsers fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The value as a message should show it: `3000000000`, `"10"`, `null`, `an object`. */
function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}

const fail = (Kind: typeof TypeError | typeof RangeError, option: string, expected: string, value: unknown) =>
  new Kind(`StreamingAgentClient: ${option} must be ${expected}, got ${shown(value)}`);

function checkMs(option: string, value: unknown, min: number, max = MAX_TIMER_MS): void {
  if (value === undefined) return;
  if (typeof value !== 'number') throw fail(TypeError, option, 'a number of milliseconds', value);
  if (!(value >= min && value <= max)) {
    throw fail(RangeError, option, `between ${min} and ${max} ms`, value);
  }
}

function checkReconnect(value: unknown): void {
  if (value === undefined || typeof value === 'boolean') return;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw fail(
      TypeError,
      'reconnect',
      'a boolean or { initialDelayMs, maxDelayMs, maxAttempts, maxFailedResumes }',
      value,
    );
  }
  const { initialDelayMs, maxDelayMs, maxAttempts, maxFailedResumes } = value as ReconnectOptions;
  checkMs('reconnect.initialDelayMs', initialDelayMs, 0);
  checkMs('reconnect.maxDelayMs', maxDelayMs, 0);
  if (maxDelayMs !== undefined && maxDelayMs < (initialDelayMs ?? 250)) {
    throw fail(
      RangeError,
      'reconnect.maxDelayMs',
      `at least initialDelayMs (${initialDelayMs ?? 250})`,
      maxDelayMs,
    );
  }
  checkCount('reconnect.maxAttempts', maxAttempts, 0);
  checkCount('reconnect.maxFailedResumes', maxFailedResumes, 1);
}

/** A count of tries: a whole number from `min`, or Infinity. */
function checkCount(option: string, value: unknown, min: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number') throw fail(TypeError, option, 'a number', value);
  if (!(value === Number.POSITIVE_INFINITY || (Number.isInteger(value) && value >= min))) {
    throw fail(RangeError, option, `a whole number >= ${min} (or Infinity)`, value);
  }
}

/**
 * Checks the constructor's arguments, so a bad setting fails where it is written, not at the
 * first connect: `TypeError` for a wrong type or a missing url, `RangeError` for a number out of
 * range; the message names the option and the value received.
 */
export function validateClientOptions(url: unknown, options: unknown): void {
  if (typeof url !== 'string' || url === '') throw fail(TypeError, 'url', 'a non-empty string', url);
  if (options === undefined) return;
  if (options === null || typeof options !== 'object') throw fail(TypeError, 'options', 'an object', options);
  const { WebSocket, protocols, reconnect, connectTimeoutMs, sendTranscript, coalesceMs } = options as Record<
    string,
    unknown
  >;
  if (sendTranscript !== undefined && typeof sendTranscript !== 'boolean') {
    throw fail(TypeError, 'sendTranscript', 'a boolean', sendTranscript);
  }
  if (WebSocket !== undefined && typeof WebSocket !== 'function') {
    throw fail(TypeError, 'WebSocket', 'a WebSocket class', WebSocket);
  }
  if (
    protocols !== undefined &&
    typeof protocols !== 'string' &&
    !(Array.isArray(protocols) && protocols.every((p) => typeof p === 'string'))
  ) {
    throw fail(TypeError, 'protocols', 'a string or an array of strings', protocols);
  }
  checkReconnect(reconnect);
  checkMs('connectTimeoutMs', connectTimeoutMs, 1);
  checkMs('coalesceMs', coalesceMs, 0, MAX_ASKED_COALESCE_MS);
}
