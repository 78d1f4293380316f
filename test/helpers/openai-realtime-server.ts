import type { AddressInfo } from 'node:net';
import { setImmediate as immediate, setTimeout as sleep } from 'node:timers/promises';
import { type WebSocket, WebSocketServer } from 'ws';

/** One scripted reply, matched like the framework's FakeLLM: by the last user text or tool output. */
export interface RealtimeTurn {
  /** The user's message, or a tool's output as the model receives it (JSON-encoded: '"sunny"'). */
  input: string;
  /** What the model says: its audio transcript, one delta a word, with audio for each word. */
  content: string;
  /** Function calls the model makes after saying `content`. */
  toolCalls?: { name: string; args: Record<string, unknown> }[];
}

type Json = Record<string, unknown>;

/** What a connection received, for the tests' assertions. */
export interface RealtimeLog {
  /** Every client event, in order. */
  clientEvents: Json[];
  /** The `conversation.item.truncate` events: where the framework says playback was cut. */
  truncations: Json[];
  /** `Authorization` header of each connection. */
  authorizations: (string | undefined)[];
}

/** PCM16 mono at the realtime API's 24 kHz, as `response.output_audio.delta` carries it. */
const SAMPLE_RATE = 24_000;

/**
 * A loopback server speaking enough of the OpenAI realtime protocol (WebSocket, GA event names)
 * for `@livekit/agents-plugin-openai`'s `RealtimeModel`, pointed at it with `OPENAI_BASE_URL`:
 * items created and deleted, `response.create` answered from a script with an assistant message
 * (audio deltas of silence, `msPerChar` ms for each character, and its transcript word by word),
 * function calls, `response.cancel` and `conversation.item.truncate`. Nothing leaves the machine.
 */
export async function startOpenAIRealtimeServer(
  script: RealtimeTurn[],
  {
    msPerChar = 80,
    transcriptDelayMs = 0,
  }: {
    msPerChar?: number;
    /** The transcript comes this long after the audio (the API's audio can lead its text). */
    transcriptDelayMs?: number;
  } = {},
): Promise<{ baseURL: string; log: RealtimeLog; close: () => Promise<void> }> {
  const log: RealtimeLog = { clientEvents: [], truncations: [], authorizations: [] };
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/v1/realtime' });
  let ids = 0;
  const id = (prefix: string) => `${prefix}_${++ids}`;

  server.on('connection', (socket, request) => {
    log.authorizations.push(request.headers.authorization);
    const items: Json[] = [];
    let responding: { id: string; cancelled: boolean } | undefined;
    const send = (event: Json) => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify({ event_id: id('event'), ...event }));
    };
    const lastId = () => (items.at(-1)?.id as string | undefined) ?? null;
    const addItem = (item: Json, type = 'conversation.item.added', previous = lastId()) => {
      items.push(item);
      send({ type, previous_item_id: previous, item });
    };
    send({
      type: 'session.created',
      session: { id: id('sess'), object: 'realtime.session', type: 'realtime' },
    });

    socket.on('message', (data) => {
      const event = JSON.parse(String(data)) as Json;
      log.clientEvents.push(event);
      switch (event.type) {
        case 'session.update':
          send({ type: 'session.updated', session: event.session });
          break;
        case 'conversation.item.create': {
          const item = event.item as Json;
          addItem(
            item,
            'conversation.item.created',
            (event.previous_item_id as string | undefined) ?? lastId(),
          );
          break;
        }
        case 'conversation.item.delete': {
          const index = items.findIndex((i) => i.id === event.item_id);
          if (index >= 0) items.splice(index, 1);
          send({ type: 'conversation.item.deleted', item_id: event.item_id });
          break;
        }
        case 'conversation.item.truncate':
          log.truncations.push(event);
          send({
            type: 'conversation.item.truncated',
            item_id: event.item_id,
            content_index: event.content_index,
            audio_end_ms: event.audio_end_ms,
          });
          break;
        case 'response.cancel':
          if (responding !== undefined) responding.cancelled = true;
          break;
        case 'response.create':
          void respond(socket, event);
          break;
        default:
          // input_audio_buffer.* and the rest: nothing to answer.
          break;
      }
    });

    async function respond(_socket: WebSocket, request: Json) {
      const response = { id: id('resp'), cancelled: false };
      responding = response;
      const metadata = (request.response as Json | undefined)?.metadata;
      send({
        type: 'response.created',
        response: {
          id: response.id,
          object: 'realtime.response',
          status: 'in_progress',
          metadata,
          output: [],
        },
      });
      const turn = script.find((t) => t.input === lastInput(items));
      const output: Json[] = [];
      if (turn !== undefined && turn.content !== '') {
        output.push(await speak(response, turn.content));
      }
      for (const call of turn?.toolCalls ?? []) {
        if (response.cancelled) break;
        const item = {
          id: id('item'),
          object: 'realtime.item',
          type: 'function_call',
          status: 'completed',
          call_id: id('call'),
          name: call.name,
          arguments: JSON.stringify(call.args),
        };
        send({
          type: 'response.output_item.added',
          response_id: response.id,
          item: { ...item, arguments: '' },
        });
        addItem(item);
        send({ type: 'response.output_item.done', response_id: response.id, item });
        output.push(item);
      }
      if (responding === response) responding = undefined;
      send({
        type: 'response.done',
        response: {
          id: response.id,
          object: 'realtime.response',
          status: response.cancelled ? 'cancelled' : 'completed',
          metadata,
          output,
          usage: { input_tokens: 1, output_tokens: 1, total_tokens: 2 },
        },
      });
    }

    /** A word's audio: `msPerChar` ms of silence a character, base64 PCM16. */
    function silence(word: string): string {
      const samples = Math.round((SAMPLE_RATE * word.length * msPerChar) / 1000);
      return Buffer.alloc(samples * 2).toString('base64');
    }

    /** An assistant message: each word's audio, then its transcript delta; stops on response.cancel. */
    async function speak(response: { id: string; cancelled: boolean }, content: string): Promise<Json> {
      const itemId = id('item');
      const item = {
        id: itemId,
        object: 'realtime.item',
        type: 'message',
        role: 'assistant',
        status: 'in_progress',
        content: [],
      };
      send({ type: 'response.output_item.added', response_id: response.id, output_index: 0, item });
      addItem(item);
      const part = { item_id: itemId, response_id: response.id, output_index: 0, content_index: 0 };
      send({ type: 'response.content_part.added', ...part, part: { type: 'audio', transcript: '' } });
      let transcript = '';
      const words = content.match(/\s*\S+/g) ?? [];
      for (const [index, word] of words.entries()) {
        if (response.cancelled) break;
        if (index === 0 && transcriptDelayMs > 0) {
          // The audio of the first words leads: it reaches the client before any text.
          for (const w of words.slice(0, 3))
            send({ type: 'response.output_audio.delta', ...part, delta: silence(w) });
          await sleep(transcriptDelayMs);
        } else if (index >= 3 || transcriptDelayMs === 0) {
          send({ type: 'response.output_audio.delta', ...part, delta: silence(word) });
        }
        send({ type: 'response.output_audio_transcript.delta', ...part, delta: word });
        transcript += word;
        // Faster than real time, as the API sends it, but a cancel can land between words.
        await immediate();
      }
      send({ type: 'response.output_audio.done', ...part });
      send({ type: 'response.output_audio_transcript.done', ...part, transcript });
      send({ type: 'response.content_part.done', ...part, part: { type: 'audio', transcript } });
      const done = {
        ...item,
        status: response.cancelled ? 'incomplete' : 'completed',
        content: [{ type: 'output_audio', transcript }],
      };
      send({ type: 'response.output_item.done', response_id: response.id, output_index: 0, item: done });
      return done;
    }
  });

  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}

/** What the next reply answers: the last user message's text, or the last tool output. */
function lastInput(items: Json[]): string | undefined {
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i]!;
    if (item.type === 'function_call_output') return String(item.output);
    if (item.type === 'message' && item.role === 'user') {
      const content = (item.content as Json[] | undefined) ?? [];
      return content.map((c) => (typeof c.text === 'string' ? c.text : '')).join('');
    }
  }
  return undefined;
}
