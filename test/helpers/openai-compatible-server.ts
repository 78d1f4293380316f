import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A minimal OpenAI-compatible chat-completions endpoint on 127.0.0.1 that streams `reply` as SSE
 * chunks, so the real `@livekit/agents-plugin-openai` LLM can be tested with no network.
 */
export async function startOpenAICompatibleServer(chunks: string[]): Promise<{
  baseURL: string;
  requests: unknown[];
  close: () => Promise<void>;
}> {
  const requests: unknown[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', async () => {
      if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
        res.writeHead(404).end();
        return;
      }
      requests.push(JSON.parse(body));
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
      const base = { id: 'chatcmpl-test', object: 'chat.completion.chunk', created: 0, model: 'test-model' };
      const send = (choice: object) =>
        res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, ...choice }] })}\n\n`);
      send({ delta: { role: 'assistant', content: '' }, finish_reason: null });
      for (const content of chunks) {
        send({ delta: { content }, finish_reason: null });
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      send({ delta: {}, finish_reason: 'stop' });
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
