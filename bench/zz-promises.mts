import { createHook } from 'node:async_hooks';
import { initializeLogger, voice } from '@livekit/agents';
import { WebSocket } from 'ws';
import { createStreamingServer } from '../src/server/index.js';
import { TextOutputBase } from '../src/text-output.js';
import { PacedLLM } from './paced.js';
initializeLogger({ pretty: false, level: 'error' });
const counts = new Map<string, number>();
let on = false;
createHook({ init(_id, type) { if (on) counts.set(type, (counts.get(type) ?? 0) + 1); } }).enable();
const CH = 300;
class Noop extends TextOutputBase { n = 0; async captureText() { this.n++; } flush() {} }
for (let round = 0; round < 2; round++) {
  const session = new voice.AgentSession({ llm: new PacedLLM(CH, 500), userAwayTimeout: null });
  session.output.transcription = new Noop();
  await session.start({ agent: new voice.Agent({ instructions: 'b' }) });
  counts.clear(); on = true;
  await session.run({ userInput: 'go' }).wait();
  on = false;
  if (round) console.log('framework', [...counts].map(([k, v]) => `${k}:${(v / CH).toFixed(1)}`).join(' '));
  await session.close();
}
const server = await createStreamingServer({ port: 0, host: '127.0.0.1', createAgent: () => new voice.Agent({ instructions: 'b' }), createLLM: () => new PacedLLM(CH, 500), sendAccumulated: false, heartbeatIntervalMs: 0 });
for (let round = 0; round < 2; round++) {
  const ws = new WebSocket(server.url);
  await new Promise<void>((resolve) => {
    ws.on('message', (d) => { const t = JSON.parse(d.toString()).type; if (t === 'ready') { counts.clear(); on = true; ws.send(JSON.stringify({ message: 'go' })); } if (t === 'result') { on = false; resolve(); } });
  });
  if (round) console.log('ours     ', [...counts].map(([k, v]) => `${k}:${(v / CH).toFixed(1)}`).join(' '));
  ws.close();
}
await server.close();
