import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { llm } from '@livekit/agents';
import { parseTarget, refuseUnclaimedUpgrade } from '../gate/index.js';
import { createDemoAgent } from './index.js';

export interface AISDKDemo {
  close(): Promise<void>;
}

/** The `/ai-sdk` page's server side: `WebSocketChatTransport`'s endpoint at `/api/chat/ws`. */
export async function attachAISDKDemo(
  http: Server,
  options: {
    createLLM: () => Promise<llm.LLM> | llm.LLM;
    allowedOrigins: (origin: string | undefined) => boolean;
  },
): Promise<AISDKDemo> {
  // Loaded here, not at the top: the main demo runs without the optional `ai` peer.
  const { createAISDKChats } = await import('../ai-sdk/index.js');
  const chats = createAISDKChats({
    createAgent: () => createDemoAgent(),
    createLLM: options.createLLM,
    allowedOrigins: options.allowedOrigins,
  });
  chats.attachWebSocket(http, { path: '/api/chat/ws' });
  // Two upgrade handlers share this server now, so neither answers paths that are not its own:
  // the demo answers them, 404, as it did with one.
  http.on('upgrade', (request: IncomingMessage, socket: Duplex) => {
    const path = parseTarget(request.url)?.path;
    if (path !== '/ws' && path !== '/api/chat/ws') refuseUnclaimedUpgrade(http, request, socket, true);
  });
  return { close: () => chats.close() };
}
