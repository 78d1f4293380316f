import type { AddressInfo } from 'node:net';
import type { llm } from '@livekit/agents';
import { createStreamingServer, type StreamingServer } from '../server/index.js';
import { attachAISDKDemo } from './ai-sdk-demo.js';
import { createDemoAgent } from './index.js';
import { createPageServer } from './page-server.js';

export interface DemoOptions {
  port: number;
  host: string;
  createLLM: () => Promise<llm.LLM> | llm.LLM;
}

export interface RunningDemo {
  /** The chat page, e.g. http://localhost:8765/ */
  pageUrl: string;
  server: StreamingServer;
  close: () => Promise<void>;
}

/** The chat page and the streaming server on one port; the socket lives at `/ws`. */
export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  const http = await createPageServer();
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, options.host, resolve);
  });
  const { port } = http.address() as AddressInfo;
  const origins = new Set([
    `http://localhost:${port}`,
    `http://127.0.0.1:${port}`,
    `http://${options.host}:${port}`,
  ]);
  const server = await createStreamingServer({
    server: http,
    path: '/ws',
    createAgent: () => createDemoAgent(),
    createLLM: options.createLLM,
    // The page is served from this origin; refuse pages from anywhere else.
    allowedOrigins: (origin) => origin !== undefined && origins.has(origin),
    // A restarted demo picks the chat up where the page left it (the hook sends its transcript).
    restoreTranscript: true,
  });
  // The /ai-sdk page's endpoint (useChat over WebSocketChatTransport); off without the optional `ai` peer.
  const aiSdk = await attachAISDKDemo(http, {
    createLLM: options.createLLM,
    allowedOrigins: (origin) => origin !== undefined && origins.has(origin),
  }).catch(() => undefined);
  return {
    pageUrl: `http://localhost:${port}/`,
    server,
    close: async () => {
      await Promise.all([server.close(), aiSdk?.close()]);
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
