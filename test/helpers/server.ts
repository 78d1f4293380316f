import { voice } from '@livekit/agents';
import { afterEach } from 'vitest';
import {
  createStreamingServer,
  type StreamingServer,
  type StreamingServerOptions,
} from '../../src/server/index.js';
import { ConversationLLM, conversationAgent } from './conversation-llm.js';
import { createAgent, type FakeResponse, WEATHER_SCRIPT } from './session.js';

const servers: StreamingServer[] = [];
const unexpected: unknown[] = [];
const record = (error: unknown) => unexpected.push(error);
process.on('unhandledRejection', record);
process.on('uncaughtException', record);

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  const seen = unexpected.splice(0);
  if (seen.length > 0) throw new Error(`unhandled during test: ${seen.map(String).join('; ')}`);
});

/**
 * A real server on 127.0.0.1:0 with FakeLLM; closed after each test. Sessions close with their
 * socket (`resumeWindowMs: 0`) unless a test asks for resuming.
 */
export async function startServer(
  options: Partial<StreamingServerOptions> & { script?: FakeResponse[] } = {},
): Promise<StreamingServer> {
  const { script = WEATHER_SCRIPT, ...rest } = options;
  const errors: unknown[] = [];
  const server = await createStreamingServer({
    port: 0,
    resumeWindowMs: 0,
    createAgent: () => createAgent(),
    createLLM: () => new voice.testing.FakeLLM(script),
    onError: (error, where) => {
      errors.push(error);
      if (process.env.DEBUG_SERVER) console.error(where, error);
    },
    ...rest,
  });
  servers.push(server);
  return server;
}

/** A server whose agent answers from its chat context (ConversationLLM), with resuming on. */
export function startResumingServer(
  options: Parameters<typeof startServer>[0] = {},
): Promise<StreamingServer> {
  return startServer({
    resumeWindowMs: 30_000,
    rateLimit: false,
    createAgent: () => conversationAgent(),
    createLLM: () => new ConversationLLM(),
    ...options,
  });
}
