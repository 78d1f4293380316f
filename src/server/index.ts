import { createServer, type Server as HttpServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { startHeartbeat } from '../gate/heartbeat.js';
import {
  BAD_TARGET,
  ConnectionSlots,
  goAway,
  parseTarget,
  refuseRequest,
  refuseUnclaimedUpgrade,
  refuseUpgrade,
  SERVICE_UNAVAILABLE,
} from '../gate/index.js';
import { RESUME_QUERY } from '../protocol/frames.js';
import { ensureFrameworkLogger } from '../session/framework-logger.js';
import { SessionHost } from '../session/host.js';
import { resolveOptions, type StreamingServerOptions } from '../session/options.js';
import { errorReporter } from '../session/report-error.js';
import { Connection } from './connection.js';
import { checkUpgrade } from './upgrade-guard.js';

export type { ClientFrame, ErrorCode, ServerFrame } from '../protocol/frames.js';
export { CLOSE_CODES, ERROR_CODES } from '../protocol/frames.js';
export type { FrameLog, MemoryFrameLogOptions } from '../session/frame-log.js';
export { MemoryFrameLog } from '../session/frame-log.js';
export type { ConnectionContext, StreamingServerOptions } from '../session/options.js';
export type { SessionStore } from '../session/store.js';
export type { RunWorkersOptions } from './cluster.js';
export { runWorkers } from './cluster.js';

export interface StreamingServer {
  /** `ws://host:port/path` of the listener. */
  readonly url: string;
  readonly port: number;
  /**
   * AgentSessions open now, connected or waiting for their client to resume: 0 once every client
   * has gone and its session has closed (`resumeWindowMs` after it went).
   */
  readonly activeSessions: number;
  /** Sessions waiting for their client to resume them. */
  readonly detachedSessions: number;
  /** WebSocket connections open now. */
  readonly activeConnections: number;
  readonly httpServer: HttpServer;
  /** Closes every client with 1001 and every session, then the listener (only if we own it). */
  close(): Promise<void>;
}

export async function createStreamingServer(userOptions: StreamingServerOptions): Promise<StreamingServer> {
  const resolved = resolveOptions(userOptions);
  const options = { ...resolved, onError: errorReporter(resolved.onError) };
  ensureFrameworkLogger();
  const ownsServer = options.server === undefined;
  const httpServer =
    options.server ??
    createServer(
      // Sockets that never finish a request are closed: Node checks these every
      // `connectionsCheckingInterval`, so it is kept well under the shorter of the two.
      {
        headersTimeout: options.headersTimeoutMs,
        requestTimeout: Math.max(options.requestTimeoutMs, options.headersTimeoutMs),
        connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(options.headersTimeoutMs / 4))),
      },
      (request, response) => {
        if (parseTarget(request.url) === undefined) refuseRequest(response, BAD_TARGET[0], BAD_TARGET[1]);
        else refuseRequest(response, 426, 'Upgrade Required');
      },
    );
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload });
  const connections = new Set<Connection>();
  /** Upgrades waiting in `authenticate`: refused at once by `close()`. */
  const pending = new Set<Duplex>();
  /**
   * Slots taken against `maxConnections`: upgrades in progress (in `authenticate`) and open sockets.
   * A slot is freed when its socket closes, not when its session has finished closing.
   */
  const slots = new ConnectionSlots(options.maxConnections);
  const sessionHost = new SessionHost(options, options.frameLog);
  await sessionHost.start();
  let nextConnectionId = 1;
  let closing: Promise<void> | undefined;
  const path = options.path ?? (ownsServer ? undefined : '/');

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const target = parseTarget(request.url);
    if (target === undefined || (path !== undefined && target.path !== path)) {
      // On a server we share, another `upgrade` listener may own this path.
      return refuseUnclaimedUpgrade(httpServer, request, socket, ownsServer);
    }
    socket.on('error', () => undefined);
    if (closing) return refuseUpgrade(socket, ...SERVICE_UNAVAILABLE);
    const freeSlot = slots.take();
    if (freeSlot === undefined) return refuseUpgrade(socket, ...SERVICE_UNAVAILABLE);
    pending.add(socket);
    void checkUpgrade(request, options).then((verdict) => {
      pending.delete(socket);
      if (!verdict.ok) {
        freeSlot();
        return refuseUpgrade(socket, verdict.status, verdict.reason);
      }
      if (closing || socket.destroyed) {
        freeSlot();
        return refuseUpgrade(socket, ...SERVICE_UNAVAILABLE);
      }
      wss.handleUpgrade(request, socket, head, (ws) => {
        ws.once('close', freeSlot);
        const connection = new Connection(
          ws,
          { request, auth: verdict.auth, connectionId: nextConnectionId++ },
          options,
          sessionHost,
          target.query.has(RESUME_QUERY),
        );
        connections.add(connection);
        void connection.closed.then(() => connections.delete(connection));
      });
      // ws answers a bad handshake (wrong version, missing key) itself and destroys the socket.
      if (socket.destroyed) freeSlot();
    });
  };
  httpServer.on('upgrade', onUpgrade);
  const stopHeartbeat = startHeartbeat(connections, options.heartbeatIntervalMs);

  if (ownsServer) {
    try {
      await new Promise<void>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(options.port, options.host, () => {
          httpServer.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      stopHeartbeat();
      throw error;
    }
  }
  const address = httpServer.address() as AddressInfo | string | null;
  if (address === null || typeof address === 'string') {
    stopHeartbeat();
    httpServer.off('upgrade', onUpgrade);
    throw new TypeError('createStreamingServer: option `server` must listen on a TCP port');
  }
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  async function close(): Promise<void> {
    stopHeartbeat();
    // Upgrades still in `authenticate` are refused now; it may never return.
    for (const socket of pending) refuseUpgrade(socket, ...SERVICE_UNAVAILABLE);
    pending.clear();
    const all = [...connections];
    for (const connection of all) {
      // Text waiting in a delivery window goes out before the goodbye, not with the socket.
      connection.flush();
      void goAway(connection.socket);
    }
    await Promise.all(all.map((c) => c.closed));
    await sessionHost.closeAll();
    wss.close();
    if (ownsServer) {
      httpServer.closeAllConnections?.();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    }
    // Until now a reconnect got 503 from us (the documented answer during shutdown).
    httpServer.off('upgrade', onUpgrade);
  }

  return {
    url: `ws://${host}:${address.port}${path ?? ''}`,
    port: address.port,
    get activeSessions() {
      return sessionHost.activeSessions;
    },
    get detachedSessions() {
      return sessionHost.detachedSessions;
    },
    get activeConnections() {
      return connections.size;
    },
    httpServer,
    close: () => {
      closing ??= close();
      return closing;
    },
  };
}
