import { createServer, type Server as HttpServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { CLOSE_CODES } from '../protocol.js';
import { Connection } from './connection.js';
import { ensureFrameworkLogger } from './framework-logger.js';
import { startHeartbeat } from './heartbeat.js';
import { resolveOptions, type StreamingServerOptions } from './options.js';
import { checkUpgrade, refuseUpgrade } from './upgrade-guard.js';

export type {
  ClientFrame,
  CompleteFrame,
  DeltaFrame,
  ErrorCode,
  ErrorFrame,
  ReadyFrame,
  ResultEvent,
  ResultFrame,
  ServerFrame,
  ToolCallFrame,
  ToolOutputFrame,
} from '../protocol.js';
export { CLOSE_CODES, ERROR_CODES } from '../protocol.js';
export type { PrimaryHandle, RunWorkersOptions, WorkerHandle, WorkerServer } from './cluster.js';
export { runWorkers } from './cluster.js';
export type { ConnectionContext, SessionOptions, StreamingServerOptions } from './options.js';

export interface StreamingServer {
  /** `ws://host:port/path` of the listener. */
  readonly url: string;
  readonly port: number;
  /** AgentSessions open now: 0 once every client has gone and its session has closed. */
  readonly activeSessions: number;
  /** WebSocket connections open now. */
  readonly activeConnections: number;
  readonly httpServer: HttpServer;
  /** Closes every client with 1001 and every session, then the listener (only if we own it). */
  close(): Promise<void>;
}

/** How long a client gets to answer our close frame before its socket is cut. */
const CLOSE_HANDSHAKE_MS = 2_000;

export async function createStreamingServer(userOptions: StreamingServerOptions): Promise<StreamingServer> {
  const options = resolveOptions(userOptions);
  ensureFrameworkLogger();
  const ownsServer = options.server === undefined;
  const httpServer =
    options.server ??
    createServer((_request, response) => {
      response.writeHead(426, { 'Content-Type': 'text/plain' }).end('Upgrade Required');
    });
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload });
  const connections = new Set<Connection>();
  let sessions = 0;
  let nextConnectionId = 1;
  let closing: Promise<void> | undefined;
  const path = options.path ?? (ownsServer ? undefined : '/');

  const onUpgrade = async (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (path !== undefined && new URL(request.url ?? '/', 'http://x').pathname !== path) {
      // On a server we share, another handler may own this path.
      if (ownsServer) refuseUpgrade(socket, 404, 'Not Found');
      return;
    }
    socket.on('error', () => undefined);
    if (closing) return refuseUpgrade(socket, 503, 'Service Unavailable');
    if (connections.size >= options.maxConnections) return refuseUpgrade(socket, 503, 'Service Unavailable');
    const verdict = await checkUpgrade(request, options);
    if (!verdict.ok) return refuseUpgrade(socket, verdict.status, verdict.reason);
    if (closing || socket.destroyed) return refuseUpgrade(socket, 503, 'Service Unavailable');
    wss.handleUpgrade(request, socket, head, (ws) => {
      const connection = new Connection(
        ws,
        { request, auth: verdict.auth, connectionId: nextConnectionId++ },
        options,
        { sessionOpened: () => sessions++, sessionClosed: () => sessions-- },
      );
      connections.add(connection);
      void connection.closed.then(() => connections.delete(connection));
    });
  };
  httpServer.on('upgrade', onUpgrade);
  const stopHeartbeat = startHeartbeat(connections, options.heartbeatIntervalMs);

  if (ownsServer) {
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(options.port ?? 0, options.host, () => {
        httpServer.off('error', reject);
        resolve();
      });
    });
  }
  const address = httpServer.address() as AddressInfo | null;
  if (address === null) throw new Error('createStreamingServer: the HTTP server is not listening');
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  async function close(): Promise<void> {
    stopHeartbeat();
    httpServer.off('upgrade', onUpgrade);
    const all = [...connections];
    for (const connection of all) {
      connection.socket.close(CLOSE_CODES.goingAway, 'server shutting down');
      setTimeout(() => connection.socket.terminate(), CLOSE_HANDSHAKE_MS).unref();
    }
    await Promise.all(all.map((c) => c.closed));
    wss.close();
    if (ownsServer) {
      httpServer.closeAllConnections?.();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    }
  }

  return {
    url: `ws://${host}:${address.port}${path ?? ''}`,
    port: address.port,
    get activeSessions() {
      return sessions;
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
