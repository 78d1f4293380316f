/**
 * A LiveKit Agents worker: a voice agent in a room, with its text streamed to your own code.
 *
 *   LIVEKIT_URL=... LIVEKIT_API_KEY=... LIVEKIT_API_SECRET=... OPENAI_API_KEY=... \
 *     npx tsx examples/worker.ts dev
 *
 * Then join the room from the Agents Playground (https://agents-playground.livekit.io) or any
 * LiveKit client and talk. The worker prints the agent's words twice: as the model generates them,
 * and as they are spoken. With TRANSCRIPT_WEBHOOK_URL set, it also POSTs every finished
 * generation there as JSON (your app's backend).
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
    // front of them, so room clients keep their captions. `timing: 'both'` gives the text as
    // generated on `output`, and as spoken (paced to the audio, cut at an interruption) on
    // `output.spoken`.
    const output = StreamingTextOutput.attach(session, { timing: 'both' });
    const closeOutputs = () => {
      output.spoken.close();
      output.close();
    };
    // A reader loop ends when its output closes (session.close() alone does not end it). The
    // session closes when the user leaves, or when the job ends.
    session.on(voice.AgentSessionEventTypes.Close, closeOutputs);

    // Not awaited: the framework waits up to 15 s for `entry` to return before it closes the
    // session and ends the job, so `entry` returns now and the loops run on their own.
    const readers = Promise.all([
      follow('generated', output.subscribe()),
      follow('spoken', output.spoken.subscribe()),
    ]).catch((error: unknown) => console.error(`transcript reader failed: ${String(error)}`));
    // Runs after the session is closed: lets the last transcripts reach your backend before the
    // job process exits.
    ctx.addShutdownCallback(async () => {
      closeOutputs();
      await readers;
    });
  },
});

/** What an app does with the text: here, log it, and forward finished generations to a backend. */
async function follow(label: string, events: AsyncIterable<StreamEvent>): Promise<void> {
  for await (const event of events) {
    if (event.type === 'text_delta') {
      console.log(`[${label} #${event.generation}] +${JSON.stringify(event.delta)}`);
      continue;
    }
    if (event.type !== 'text_complete') continue; // tool steps (only with toolSteps: true)
    const cut = event.interrupted ? ' (interrupted)' : '';
    console.log(`[${label} #${event.generation}] done${cut}: ${JSON.stringify(event.text)}`);
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
