import type { Server } from 'node:http';
import type { llm } from '@livekit/agents';
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
  return { close: () => chats.close() };
}
