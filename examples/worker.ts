/**
 * A LiveKit Agents worker: a voice agent in a room, with its text streamed to your own code.
 *
 *   LIVEKIT_URL=... LIVEKIT_API_KEY=... LIVEKIT_API_SECRET=... OPENAI_API_KEY=... \
 *     npx tsx examples/worker.ts dev
 *
 * Then join the room from the Agents Playground (https://agents-playground.livekit.io) or any
 * LiveKit client and talk. The worker prints the agent's words as the model generates them. With
 * TRANSCRIPT_WEBHOOK_URL set, it also POSTs every finished generation there as JSON (your app's
 * backend).
 */
import { fileURLToPath } from 'node:url';
import { cli, defineAgent, type JobContext, ServerOptions, voice } from '@livekit/agents';
import * as openai from '@livekit/agents-plugin-openai';
import { type StreamEvent, StreamingTextOutput } from '../src/index.js';

export default defineAgent({
  entry: async (ctx: JobContext) => {
    const session = new voice.AgentSession({
      // One OpenAI model hears the user and speaks; its transcript is the text we stream.
      llm: new openai.realtime.RealtimeModel({ voice: 'alloy' }),
    });

    await session.start({
      agent: new voice.Agent({ instructions: 'You are a friendly voice assistant. Keep answers short.' }),
      room: ctx.room,
    });

    // After start: RoomIO's transcription output and synchronizer are in place, and ours chains in
    // front of them, so room clients keep their captions.
    const output = StreamingTextOutput.attach(session);
    ctx.addShutdownCallback(async () => output.close());

    await follow('generated', output.subscribe());
  },
});

/** What an app does with the text: here, log it, and forward finished generations to a backend. */
async function follow(label: string, events: AsyncIterable<StreamEvent>): Promise<void> {
  for await (const event of events) {
    if (event.type === 'text_delta') {
      console.log(`[${label} #${event.generation}] +${JSON.stringify(event.delta)}`);
      continue;
    }
    console.log(`[${label} #${event.generation}] done: ${JSON.stringify(event.text)}`);
    const webhook = process.env.TRANSCRIPT_WEBHOOK_URL;
    if (webhook !== undefined) {
      await fetch(webhook, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ timing: label, ...event }),
      }).catch((error: unknown) => console.error(`could not forward the transcript: ${String(error)}`));
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  cli.runApp(new ServerOptions({ agent: fileURLToPath(import.meta.url) }));
}
