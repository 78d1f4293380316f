import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  safeValidateWebSocketChatTransportRequest,
  type UIMessageChunk,
  type WebSocketChatTransportRequest,
  type WebSocketChatTransportResponse,
} from 'ai';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { type HeartbeatPeer, startHeartbeat, watchPongs } from '../gate/heartbeat.js';
import {
  ConnectionSlots,
  FORBIDDEN,
  goAway,
  originAllowed,
  parseTarget,
  refuseUnclaimedUpgrade,
  refuseUpgrade,
  SERVICE_UNAVAILABLE,
} from '../gate/index.js';
import { FrameSender } from '../session/frame-sender.js';
import type { ChatRegistry } from './chat-registry.js';
import { CHAT_ERRORS } from './chat-registry.js';
import type { ChatTurn, ChatTurns } from './chat-turns.js';
import type { ResolvedChatOptions } from './options.js';

/** Bytes queued on a socket before a request stops sending and waits. */
const HIGH_WATER_MARK = 64 * 1024;

export interface ChatWebSocketOptions {
  /** Path of the WebSocket endpoint, e.g. `/api/chat/ws`. Other upgrade paths are left alone. */
  path: string;
}

export interface ChatWebSocket {
  readonly activeSockets: number;
  /** Stops listening for upgrades and closes every socket (1001). Chats stay. */
  close(): Promise<void>;
}

/**
 * The server side of the AI SDK's `WebSocketChatTransport`, on an HTTP server's upgrade path.
 * Client frames (`send`, `resume`, `abort`) are checked with the `ai` package's own validator.
 * Each request gets `start`, then `chunk {sequence, chunk}` from 0, then `end`; or `error`, or
 * `no-active` for a resume with nothing to replay. Requests of one socket are independent, and a
 * chat outlives its sockets: a dropped socket leaves the turn running, for a later `resume`.
 */
export function attachChatWebSocket(
  server: HttpServer,
  chats: ChatRegistry,
  options: ResolvedChatOptions,
  { path }: ChatWebSocketOptions,
): ChatWebSocket {
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload });
  /** Open sockets, watched by the heartbeat as the protocol's connections are. */
  const sockets = new Set<HeartbeatPeer>();
  /** Slots taken against `maxConnections`: upgrades being completed and open sockets. */
  const slots = new ConnectionSlots(options.maxConnections);
  let closing: Promise<void> | undefined;

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (parseTarget(request.url)?.path !== path) return refuseUnclaimedUpgrade(server, request, socket);
    socket.on('error', () => undefined);
    if (closing) return refuseUpgrade(socket, ...SERVICE_UNAVAILABLE);
    if (!originAllowed(options.allowedOrigins, request.headers.origin, options.onError))
      return refuseUpgrade(socket, ...FORBIDDEN);
    const freeSlot = slots.take();
    if (freeSlot === undefined) return refuseUpgrade(socket, ...SERVICE_UNAVAILABLE);
    wss.handleUpgrade(request, socket, head, (ws) => {
      const peer: HeartbeatPeer = { alive: true, socket: ws };
      sockets.add(peer);
      watchPongs(peer);
      serveSocket(ws, request, chats, new FrameSender(ws, HIGH_WATER_MARK, socket));
      ws.once('close', () => {
        sockets.delete(peer);
        freeSlot();
      });
    });
    // ws answers a bad handshake (wrong version, missing key) itself and destroys the socket.
    if (socket.destroyed) freeSlot();
  };
  server.on('upgrade', onUpgrade);
  const stopHeartbeat = startHeartbeat(sockets, options.heartbeatIntervalMs);

  async function close(): Promise<void> {
    server.off('upgrade', onUpgrade);
    stopHeartbeat();
    await Promise.all([...sockets].map((peer) => goAway(peer.socket)));
    wss.close();
  }

  return {
    get activeSockets() {
      return sockets.size;
    },
    close: () => {
      closing ??= close();
      return closing;
    },
  };
}

/** One request of a socket, from its arrival (before its turn starts) until its `end`. */
interface SocketRequest {
  chatId: string;
  /** Stops following the turn (set once it streams). */
  stop: () => void;
  /** `abort` came (maybe before the turn started: then it never starts). */
  aborted: boolean;
}

/** `sender`: the socket's one sender (the protocol's FrameSender: backpressure, tick batching). */
function serveSocket(ws: WebSocket, request: IncomingMessage, chats: ChatRegistry, sender: ChatSender): void {
  /**
   * This socket's requests, by requestId, from the moment their frame is read: an `abort` right
   * behind its `send` finds the request even while its turn is still starting.
   */
  const requests = new Map<string, SocketRequest>();
  /** Frames are checked asynchronously; this keeps them handled in the order they came. */
  let inOrder: Promise<unknown> = Promise.resolve();
  ws.on('error', () => undefined);
  ws.once('close', () => {
    // The chats go on: a dropped socket is not a stop. A later `resume` replays the turn.
    for (const { stop } of requests.values()) stop();
    requests.clear();
  });

  const send = (frame: WebSocketChatTransportResponse) => sender.send(frame);

  const stream = (requestId: string, entry: SocketRequest, turn: ChatTurn) => {
    entry.stop = streamToSocket(sender, chats.turns, requestId, turn, {
      isWanted: () => requests.get(requestId) === entry,
      onEnd: () => requests.delete(requestId),
    });
  };

  /** Runs synchronously when a frame's turn comes: every request is registered before any await. */
  const handle = (frame: WebSocketChatTransportRequest) => {
    if (frame.type === 'abort') {
      const entry = requests.get(frame.requestId);
      if (entry === undefined) return;
      requests.delete(frame.requestId);
      entry.aborted = true;
      entry.stop();
      // `useChat`'s stop(): the agent stops too, not only this stream. A request whose turn has
      // not started yet is stopped by `answer` instead, once it knows.
      if (entry.stop !== noop) chats.stop(entry.chatId);
      return;
    }
    const entry: SocketRequest = { chatId: frame.id, stop: noop, aborted: false };
    requests.set(frame.requestId, entry);
    void answer(frame, entry).catch(() => ws.terminate());
  };

  const answer = async (
    frame: Exclude<WebSocketChatTransportRequest, { type: 'abort' }>,
    entry: SocketRequest,
  ): Promise<void> => {
    const { requestId, id: chatId } = frame;
    const refuse = (errorText: string) => {
      if (requests.get(requestId) === entry) requests.delete(requestId);
      if (!entry.aborted) send({ type: 'error', requestId, errorText });
    };
    if (!(await chats.authorize(request, chatId))) return refuse(CHAT_ERRORS.forbidden);
    if (frame.type === 'resume') {
      const turn = await chats.resumable(chatId);
      if (entry.aborted) return;
      if (turn === undefined) {
        requests.delete(requestId);
        send({ type: 'no-active', requestId });
      } else stream(requestId, entry, turn);
      return;
    }
    const started = await chats.start(request, chatId, frame.trigger, frame.messages, () => !entry.aborted);
    if (!started.ok) return refuse(started.errorText);
    // Aborted while the turn was being set up: it started anyway, so it is stopped now.
    if (entry.aborted) {
      chats.stop(chatId);
      return;
    }
    stream(requestId, entry, started.turn);
  };

  ws.on('message', (data: RawData, isBinary: boolean) => {
    let value: unknown;
    try {
      value = JSON.parse(isBinary ? '' : data.toString());
    } catch {
      ws.close(1003, 'invalid JSON frame');
      return;
    }
    inOrder = inOrder
      .then(async () => {
        const checked = await safeValidateWebSocketChatTransportRequest({ value });
        if (checked.success) return handle(checked.data);
        const requestId = (value as { requestId?: unknown } | null)?.requestId;
        if (typeof requestId === 'string')
          send({ type: 'error', requestId, errorText: checked.error.message });
        else ws.close(1003, 'invalid chat request frame');
      })
      .catch(() => ws.terminate());
  });
}

const noop = () => undefined;

type ChatSender = FrameSender<WebSocketChatTransportResponse>;

/**
 * Sends a turn to one request of a socket: `start`, every chunk from sequence 0 (live, pausing while
 * the socket is behind, until its send callbacks say it has caught up), then `end`. Returns the
 * stop function.
 */
export function streamToSocket(
  sender: ChatSender,
  turns: ChatTurns,
  requestId: string,
  turn: ChatTurn,
  { isWanted = () => true, onEnd }: { isWanted?: () => boolean; onEnd?: () => void } = {},
): () => void {
  sender.send({ type: 'start', requestId });
  return turns.follow(turn, {
    write: (chunk: UIMessageChunk, sequence: number) =>
      sender.send({ type: 'chunk', requestId, sequence, chunk }),
    end: () => {
      onEnd?.();
      sender.send({ type: 'end', requestId });
    },
    isOpen: () => sender.isOpen && isWanted(),
    isBehind: () => sender.isBehind,
    whenDrained: (resume) => void sender.drained().then(resume),
  });
}
