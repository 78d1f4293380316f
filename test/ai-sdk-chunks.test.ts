import { asSchema, readUIMessageStream, type UIMessage, type UIMessageChunk, uiMessageChunkSchema } from 'ai';
import { describe, expect, it } from 'vitest';
import { type TurnFrame, UIChunkMapper } from '../src/ai-sdk/ui-chunks.js';
import { AI_SDK_SKIP_REASON, aiSdkUnsupported } from './helpers/ai-sdk.js';

/** Maps a whole turn, as the chat does: start() then each frame. */
function mapTurn(frames: TurnFrame[], messageId = 'm1'): UIMessageChunk[] {
  const mapper = new UIChunkMapper(messageId);
  return [...mapper.start(), ...frames.flatMap((f) => mapper.map(f))];
}

/** Every chunk against the schema the installed `ai` exports (not a copy of it). */
async function expectValid(chunks: UIMessageChunk[]): Promise<void> {
  const schema = asSchema(uiMessageChunkSchema);
  for (const chunk of chunks) {
    const result = await schema.validate!(chunk);
    expect(result.success, JSON.stringify(chunk)).toBe(true);
  }
}

/** The message the AI SDK client builds from these chunks. */
async function messageFrom(chunks: UIMessageChunk[]): Promise<UIMessage> {
  const stream = new ReadableStream<UIMessageChunk>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  let last: UIMessage | undefined;
  for await (const message of readUIMessageStream({ stream, terminateOnError: false })) last = message;
  return last!;
}

const delta = (text: string, generation = 1): TurnFrame => ({ type: 'delta', delta: text, generation });
const complete = (text: string, generation = 1): TurnFrame => ({ type: 'complete', text, generation });

describe.skipIf(aiSdkUnsupported)(
  `turn frames → UIMessageChunks (${aiSdkUnsupported ? AI_SDK_SKIP_REASON : 'ai installed'})`,
  () => {
    it('a plain turn: start with the messageId, one step, one text part, finish', async () => {
      const chunks = mapTurn([
        delta('Hel'),
        delta('lo'),
        complete('Hello'),
        { type: 'result', events: [{ type: 'message', role: 'assistant', content: 'Hello' }] },
      ]);
      expect(chunks).toEqual([
        { type: 'start', messageId: 'm1' },
        { type: 'start-step' },
        { type: 'text-start', id: 'm1-1' },
        { type: 'text-delta', id: 'm1-1', delta: 'Hel' },
        { type: 'text-delta', id: 'm1-1', delta: 'lo' },
        { type: 'text-end', id: 'm1-1' },
        { type: 'finish-step' },
        { type: 'finish', finishReason: 'stop' },
      ]);
      await expectValid(chunks);
      const message = await messageFrom(chunks);
      expect(message.id).toBe('m1');
      expect(message.parts).toEqual([{ type: 'step-start' }, { type: 'text', text: 'Hello', state: 'done' }]);
    });

    it('live tool frames: the call and its output in place, then a new step for the next generation', async () => {
      const chunks = mapTurn([
        delta('Let me check.'),
        complete('Let me check.'),
        { type: 'tool_call', callId: 'c1', name: 'getWeather', arguments: '{"city":"Paris"}' },
        { type: 'tool_output', callId: 'c1', name: 'getWeather', output: '"sunny"', isError: false },
        delta('Sunny.', 2),
        complete('Sunny.', 2),
        { type: 'result', events: [] },
      ]);
      expect(chunks.map((c) => c.type)).toEqual([
        'start',
        'start-step',
        'text-start',
        'text-delta',
        'text-end',
        'tool-input-available',
        'tool-output-available',
        'finish-step',
        'start-step',
        'text-start',
        'text-delta',
        'text-end',
        'finish-step',
        'finish',
      ]);
      expect(chunks[5]).toEqual({
        type: 'tool-input-available',
        toolCallId: 'c1',
        toolName: 'getWeather',
        input: { city: 'Paris' },
      });
      expect(chunks[6]).toEqual({ type: 'tool-output-available', toolCallId: 'c1', output: 'sunny' });
      await expectValid(chunks);
      const message = await messageFrom(chunks);
      expect(message.parts.map((p) => p.type)).toEqual([
        'step-start',
        'text',
        'tool-getWeather',
        'step-start',
        'text',
      ]);
      expect(message.parts[2]).toMatchObject({
        state: 'output-available',
        input: { city: 'Paris' },
        output: 'sunny',
      });
    });

    it('a server without live tool frames: the result’s tool calls still reach the message, before finish', async () => {
      const chunks = mapTurn([
        delta('Let me check.'),
        complete('Let me check.'),
        delta('Sunny.', 2),
        complete('Sunny.', 2),
        {
          type: 'result',
          events: [
            { type: 'function_call', name: 'getWeather', arguments: '{"city":"Paris"}', callId: 'c1' },
            {
              type: 'function_call_output',
              name: 'getWeather',
              output: '"sunny"',
              callId: 'c1',
              isError: false,
            },
          ],
        },
      ]);
      await expectValid(chunks);
      expect(chunks.at(-1)).toEqual({ type: 'finish', finishReason: 'stop' });
      const message = await messageFrom(chunks);
      expect(message.parts.find((p) => p.type === 'tool-getWeather')).toMatchObject({
        state: 'output-available',
      });
    });

    it('a tool that failed: tool-output-error with its text', async () => {
      const chunks = mapTurn([
        { type: 'tool_call', callId: 'c1', name: 'getWeather', arguments: 'not json' },
        { type: 'tool_output', callId: 'c1', name: 'getWeather', output: 'boom', isError: true },
        { type: 'result', events: [] },
      ]);
      expect(chunks).toContainEqual({
        type: 'tool-input-available',
        toolCallId: 'c1',
        toolName: 'getWeather',
        input: 'not json',
      });
      expect(chunks).toContainEqual({ type: 'tool-output-error', toolCallId: 'c1', errorText: 'boom' });
      await expectValid(chunks);
      const message = await messageFrom(chunks);
      expect(message.parts[1]).toMatchObject({
        type: 'tool-getWeather',
        state: 'output-error',
        errorText: 'boom',
      });
    });

    it('an output whose call was never sent gets its call first (the SDK needs one to attach to)', async () => {
      const chunks = mapTurn([{ type: 'tool_output', callId: 'c9', name: 'x', output: '1', isError: false }]);
      expect(chunks.slice(2).map((c) => c.type)).toEqual(['tool-input-available', 'tool-output-available']);
      await expectValid(chunks);
    });

    it('an interrupt: the open text part closes, then abort, then finish (interrupted)', async () => {
      const chunks = mapTurn([delta('Half a'), { type: 'result', events: [], interrupted: true }]);
      expect(chunks.slice(-4)).toEqual([
        { type: 'text-end', id: 'm1-1' },
        { type: 'finish-step' },
        { type: 'abort', reason: 'interrupted' },
        { type: 'finish', finishReason: 'interrupted' },
      ]);
      await expectValid(chunks);
      expect((await messageFrom(chunks)).parts[1]).toEqual({ type: 'text', text: 'Half a', state: 'done' });
    });

    it('a failure: error with the reason, then finish; nothing maps after the end', async () => {
      const mapper = new UIChunkMapper('m1');
      mapper.start();
      const chunks = [
        ...mapper.map(delta('Part')),
        ...mapper.map({
          type: 'error',
          code: 'run_failed',
          message: 'the agent failed to answer this message',
        }),
      ];
      expect(chunks.slice(-3)).toEqual([
        { type: 'finish-step' },
        { type: 'error', errorText: 'the agent failed to answer this message' },
        { type: 'finish', finishReason: 'error' },
      ]);
      expect(mapper.isEnded).toBe(true);
      expect(mapper.map(delta('late'))).toEqual([]);
      expect(mapper.map({ type: 'result', events: [] })).toEqual([]);
      await expectValid(chunks);
    });

    it('a generation that arrives whole (complete, no deltas) is still one text part; empty ones are none', async () => {
      const chunks = mapTurn([
        complete('Whole'),
        complete('', 2),
        delta('', 3),
        { type: 'result', events: [] },
      ]);
      expect(chunks.filter((c) => c.type.startsWith('text-'))).toEqual([
        { type: 'text-start', id: 'm1-1' },
        { type: 'text-delta', id: 'm1-1', delta: 'Whole' },
        { type: 'text-end', id: 'm1-1' },
      ]);
      await expectValid(chunks);
    });

    it('a chunk the schema rejects is caught by the check (the check can fail)', async () => {
      const result = await asSchema(uiMessageChunkSchema).validate!({ type: 'text-delta', delta: 'x' });
      expect(result.success).toBe(false);
    });
  },
);
