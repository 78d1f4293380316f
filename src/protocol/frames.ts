/**
 * The wire protocol: JSON text frames. Shared by the server and the client, so both validate the
 * same shapes. No runtime dependency: this file is bundled into browser code.
 */

/** The codes the server sends in `error` frames, with their stable messages. */
export const ERROR_CODES = {
  invalid_json: 'the frame is not valid JSON',
  invalid_frame: 'the frame is not a JSON object',
  invalid_message: '`message` must be a non-empty string',
  invalid_id: '`id` must be a string of at most 128 characters',
  unknown_type: 'the frame has an unknown `type`',
  binary_frame: 'binary frames are not supported; send JSON text frames',
  busy: 'too many messages are waiting for this connection',
  rate_limited: 'too many frames; slow down',
  nothing_to_interrupt: 'no message is being answered',
  run_failed: 'the agent failed to answer this message',
  turn_timeout: 'the agent took too long to answer this message',
  session_failed: 'the agent session could not start',
  session_expired: 'the session to resume has expired or is unknown; a new session was started',
  resume_gap: 'some frames to resume from are no longer held; the current turn is sent in full',
  turn_lost: 'the server that was answering this message stopped; its text so far is all there is',
  resume_required: 'a resuming connection must send a `resume` frame first',
  duplicate_id: 'this session already answered a message with this `id`; give each message its own',
} as const;

/** A code the server sends (`ErrorFrame.code` on the wire). */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The codes the client reports about itself; never sent by the server. */
export const CLIENT_ERROR_CODES = {
  invalid_server_frame: 'the server sent a frame this client does not understand',
  connection_lost: 'the connection to the server was lost',
  connect_failed: 'could not connect to the server',
  not_connected: 'the client is not connected',
  message_too_long: 'the message is too long for the server',
  reconnect_failed: 'the connection could not be restored; the client stopped trying',
} as const;

export type ClientErrorCode = keyof typeof CLIENT_ERROR_CODES;

const MESSAGES: Record<ErrorCode | ClientErrorCode, string> = { ...ERROR_CODES, ...CLIENT_ERROR_CODES };

/** Client → server. `id` is optional and echoed on every frame that answers the message. */
export type ClientFrame =
  | { type: 'message'; message: string; id?: string }
  | { type: 'interrupt' }
  | ResumeFrame;

/**
 * The first frame of a connection opened with `?resume=1`: the token from the session's `ready`,
 * and the last `seq` the client has. The token never goes in the URL, where proxies log it.
 */
export interface ResumeFrame {
  type: 'resume';
  token: string;
  seq: number;
  /**
   * The conversation as the client holds it, oldest first, for a server that restores chats
   * (`restoreTranscript`): when the session to resume is gone (a restart, expiry), the new
   * session's agent starts from it instead of from nothing. Servers that do not restore ignore it.
   */
  transcript?: TranscriptItem[];
}

/**
 * One item of a client's transcript: the user's and the agent's texts, and each finished tool
 * step, in the shapes the `result` frame's events have.
 */
export type TranscriptItem =
  | { type: 'message'; role: 'user' | 'assistant'; content: string }
  | { type: 'function_call'; name: string; arguments: string; callId: string }
  | { type: 'function_call_output'; output: string; name: string; callId: string; isError: boolean };

/** Items a `resume` frame's transcript may hold; a server may keep fewer (`restoreTranscript.maxItems`). */
export const MAX_TRANSCRIPT_ITEMS = 10_000;

/** The query parameter that tells the server to wait for a `resume` frame before opening a session. */
export const RESUME_QUERY = 'resume';

export interface ReadyFrame {
  type: 'ready';
  message: string;
  /** Present when the server keeps sessions for resuming: send it back in a `resume` frame. */
  token?: string;
  /** True when this connection resumed an existing session; the frames it missed follow. */
  resumed?: boolean;
  /**
   * True when the session to resume was gone and this new one starts from the transcript the
   * client sent (the agent remembers the chat); `resumed` is then absent.
   */
  restored?: boolean;
  /**
   * The largest client frame, in bytes (UTF-8 JSON), the server accepts: a larger one closes the
   * connection with 1009. Absent from older servers; clients that do not know it ignore it.
   */
  maxPayload?: number;
}
export interface DeltaFrame {
  type: 'delta';
  delta: string;
  /** Omitted when the server is configured not to send it (see `sendAccumulated`). */
  accumulated?: string;
  generation: number;
  id?: string;
  /**
   * After `resume_gap`: this delta carries the generation's whole text so far (in `delta` and
   * `accumulated`); it replaces what the client had instead of adding to it.
   */
  restate?: boolean;
}
export interface CompleteFrame {
  type: 'complete';
  text: string;
  generation: number;
  id?: string;
}
/** The agent started executing a tool: sent after the generation that asked for it. */
export interface ToolCallFrame {
  type: 'tool_call';
  /** Pairs the call with its `tool_output`. */
  callId: string;
  name: string;
  /** The arguments as the model sent them: a JSON string. */
  arguments: string;
  id?: string;
}
/** A tool returned; `isError` when it threw (then `output` is the error the model sees). */
export interface ToolOutputFrame {
  type: 'tool_output';
  callId: string;
  name: string;
  output: string;
  isError: boolean;
  id?: string;
}
export type ResultEvent =
  | { type: 'message'; role: string; content: string; interrupted?: boolean }
  | { type: 'function_call'; name: string; arguments: string; callId?: string }
  | { type: 'function_call_output'; output: string; name?: string; callId?: string; isError?: boolean }
  | { type: 'agent_handoff'; newAgentId?: string; oldAgentId?: string };
export interface ResultFrame {
  type: 'result';
  events: ResultEvent[];
  /** True when the turn was cut short by an interrupt. */
  interrupted?: boolean;
  id?: string;
}
/** An `error` frame. On the wire `Code` is an `ErrorCode`; the client also makes its own with a `ClientErrorCode`. */
export interface ErrorFrame<Code extends ErrorCode | ClientErrorCode = ErrorCode> {
  type: 'error';
  code: Code;
  message: string;
  id?: string;
}
export type ServerFrame =
  | ReadyFrame
  | DeltaFrame
  | CompleteFrame
  | ToolCallFrame
  | ToolOutputFrame
  | ResultFrame
  | ErrorFrame;
/**
 * The frames of one message's turn: what a server's turn sends, what the client's `ask()` yields,
 * what `UIChunkMapper` maps. The error may be the client's own (a lost connection: `ClientErrorCode`).
 */
export type TurnFrame =
  | DeltaFrame
  | CompleteFrame
  | ToolCallFrame
  | ToolOutputFrame
  | ResultFrame
  | ErrorFrame<ErrorCode | ClientErrorCode>;
/**
 * A frame as a server that keeps sessions sends it: `seq` strictly increases per session (by one
 * per frame; a delta frame merged by `coalesceMs` skips the seqs it carries), so a client that
 * resumes can say what it has, and drop what it sees twice.
 */
export type SequencedFrame = ServerFrame & { seq: number };

const MAX_TOKEN_LENGTH = 256;

/**
 * The largest `seq` a resume may name: the frames after it must still be numbered by safe integers
 * that strictly increase (2^53 - 1 would make every later frame the same number). No session sends
 * 2^50 frames.
 */
export const MAX_RESUME_SEQ = 2 ** 50;

/** The WebSocket close codes the server sends (1007 and 1009 through `ws` itself). */
export const CLOSE_CODES = {
  /** The session was resumed on another connection: this one is evicted. */
  normal: 1000,
  /** `server.close()`: the server is shutting down. */
  goingAway: 1001,
  /** A text frame that is not valid UTF-8 (sent by `ws`). */
  invalidPayload: 1007,
  /** A connection opened to resume sent something other than its `resume` frame first. */
  policyViolation: 1008,
  /** A frame over `maxPayload` (sent by `ws`). */
  messageTooBig: 1009,
  /** The agent session could not start (`session_failed`). */
  internalError: 1011,
} as const;

/** The close code the client sends when you call `close()`. */
export const CLIENT_CLOSE_CODE = 1000;

export const MAX_ID_LENGTH = 128;

/** An error frame for `code`: its stable message unless another is given, and `id` when known. */
export function errorFrame<Code extends ErrorCode | ClientErrorCode>(
  code: Code,
  id?: string,
  message: string = MESSAGES[code],
): ErrorFrame<Code> {
  return id === undefined ? { type: 'error', code, message } : { type: 'error', code, message, id };
}

/** A parsed frame, or why it was refused: an `ErrorCode` for a client frame, `invalid_server_frame` for a server one. */
export type Parsed<T, Code extends ErrorCode | ClientErrorCode = ErrorCode> =
  | { ok: true; frame: T }
  | { ok: false; code: Code; message: string; id?: string };

const fail = <Code extends ErrorCode | ClientErrorCode>(
  code: Code,
  id?: string,
  message: string = MESSAGES[code],
): Parsed<never, Code> =>
  id === undefined ? { ok: false, code, message } : { ok: false, code, message, id };

/** Why a `resume` frame was refused: it is an object, so the code's own message would mislead. */
const BAD_RESUME = `a \`resume\` frame needs a \`token\` (1-${MAX_TOKEN_LENGTH} characters), a whole \`seq\` from 0 to 2^50, and a valid \`transcript\` if any`;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Validates one client text frame. Never throws. */
export function parseClientFrame(text: string): Parsed<ClientFrame> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail('invalid_json');
  }
  if (!isObject(value)) return fail('invalid_frame');
  const type = value.type ?? 'message';
  if (type === 'interrupt') return { ok: true, frame: { type: 'interrupt' } };
  if (type === 'resume') {
    const { token, seq } = value;
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH)
      return fail('invalid_frame', undefined, BAD_RESUME);
    if (!Number.isSafeInteger(seq) || (seq as number) < 0 || (seq as number) > MAX_RESUME_SEQ)
      return fail('invalid_frame', undefined, BAD_RESUME);
    const frame: ResumeFrame = { type: 'resume', token, seq: seq as number };
    if (value.transcript !== undefined) {
      const transcript = parseTranscript(value.transcript);
      if (transcript === undefined) return fail('invalid_frame', undefined, BAD_RESUME);
      frame.transcript = transcript;
    }
    return { ok: true, frame };
  }
  if (type !== 'message') return fail('unknown_type');
  const id = value.id;
  if (id !== undefined && (typeof id !== 'string' || id.length > MAX_ID_LENGTH)) return fail('invalid_id');
  const message = value.message;
  if (typeof message !== 'string' || message.trim() === '') return fail('invalid_message', id);
  return {
    ok: true,
    frame: id === undefined ? { type: 'message', message } : { type: 'message', message, id },
  };
}

const isString = (v: unknown): v is string => typeof v === 'string';

/** A transcript as the protocol allows it, copied field by field (nothing else kept); else undefined. */
function parseTranscript(value: unknown): TranscriptItem[] | undefined {
  if (!Array.isArray(value) || value.length > MAX_TRANSCRIPT_ITEMS) return undefined;
  const items: TranscriptItem[] = [];
  for (const item of value) {
    if (!isObject(item)) return undefined;
    if (item.type === 'message') {
      if ((item.role !== 'user' && item.role !== 'assistant') || !isString(item.content)) return undefined;
      items.push({ type: 'message', role: item.role, content: item.content });
    } else if (item.type === 'function_call') {
      if (!isString(item.name) || !isString(item.arguments) || !isString(item.callId)) return undefined;
      items.push({ type: 'function_call', name: item.name, arguments: item.arguments, callId: item.callId });
    } else if (item.type === 'function_call_output') {
      const { output, name, callId, isError } = item;
      if (!isString(output) || !isString(name) || !isString(callId) || typeof isError !== 'boolean')
        return undefined;
      items.push({ type: 'function_call_output', output, name, callId, isError });
    } else return undefined;
  }
  return items;
}
const isOptionalString = (v: unknown) => v === undefined || typeof v === 'string';
const isGeneration = (v: unknown) => Number.isInteger(v) && (v as number) >= 1;

/** Validates one server text frame, for clients. Never throws. */
export function parseServerFrame(text: string): Parsed<ServerFrame, 'invalid_server_frame'> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail('invalid_server_frame');
  }
  if (!isObject(value) || !isOptionalString(value.id)) return fail('invalid_server_frame');
  if (value.seq !== undefined && !(Number.isSafeInteger(value.seq) && (value.seq as number) >= 1))
    return fail('invalid_server_frame');
  const v = value;
  const valid = (() => {
    switch (v.type) {
      case 'ready':
        return (
          isString(v.message) &&
          (v.maxPayload === undefined || (Number.isSafeInteger(v.maxPayload) && (v.maxPayload as number) > 0))
        );
      case 'delta':
        return isString(v.delta) && isOptionalString(v.accumulated) && isGeneration(v.generation);
      case 'complete':
        return isString(v.text) && isGeneration(v.generation);
      case 'tool_call':
        return isString(v.callId) && isString(v.name) && isString(v.arguments);
      case 'tool_output':
        return isString(v.callId) && isString(v.name) && isString(v.output) && typeof v.isError === 'boolean';
      case 'result':
        return Array.isArray(v.events) && v.events.every((e) => isObject(e) && isString(e.type));
      case 'error':
        return isString(v.code) && isString(v.message);
      default:
        return false;
    }
  })();
  return valid ? { ok: true, frame: v as unknown as ServerFrame } : fail('invalid_server_frame');
}
