/**
 * A bad option fails at construction, in one style: TypeError for a wrong type or a missing
 * required option, RangeError for a number out of range; the message names the option and the
 * value received. One row per option (issue 9, "Options").
 */
import { createServer } from 'node:http';
import { voice } from '@livekit/agents';
import { describe, expect, it } from 'vitest';
import { StreamingTextOutput } from '../src/core/streaming-text-output.js';
import { createStreamingServer, type StreamingServerOptions } from '../src/server/index.js';
import { createAgent } from './helpers/session.js';

const base: StreamingServerOptions = { port: 0, createAgent: () => createAgent() };

type Row = [option: string, value: unknown, error: typeof TypeError | typeof RangeError, shown: string];

const serverRows: Row[] = [
  ['createAgent', undefined, TypeError, 'undefined'],
  ['createAgent', 'agent', TypeError, '"agent"'],
  ['createLLM', {}, TypeError, 'Object'],
  ['sessionOptions', 3, TypeError, '3'],
  ['authenticate', true, TypeError, 'true'],
  ['onError', 'log', TypeError, '"log"'],
  ['port', -1, RangeError, '-1'],
  ['port', 70_000, RangeError, '70000'],
  ['port', '8080', TypeError, '"8080"'],
  ['host', 127, TypeError, '127'],
  ['path', 'ws', RangeError, '"ws"'],
  ['path', 1, TypeError, '1'],
  ['server', {}, TypeError, 'Object'],
  ['allowedOrigins', 'https://a.example', TypeError, '"https://a.example"'],
  ['allowedOrigins', [1], TypeError, 'an array'],
  ['maxPayload', 0, RangeError, '0'],
  ['maxPayload', 1.5, RangeError, '1.5'],
  ['maxQueuedMessages', -1, RangeError, '-1'],
  ['maxQueuedMessages', '8', TypeError, '"8"'],
  ['maxConnections', 0, RangeError, '0'],
  ['maxConnections', Number.NaN, RangeError, 'NaN'],
  ['authenticateTimeoutMs', 0, RangeError, '0'],
  ['authenticateTimeoutMs', 3e9, RangeError, '3000000000'],
  ['headersTimeoutMs', 0, RangeError, '0'],
  ['requestTimeoutMs', 3e9, RangeError, '3000000000'],
  ['rateLimit', true, TypeError, 'true'],
  ['rateLimit', { burst: 0, perSecond: 10 }, RangeError, '0'],
  ['rateLimit', { perSecond: 10 }, TypeError, 'undefined'],
  ['rateLimit', { burst: 5, perSecond: 0 }, RangeError, '0'],
  ['rateLimit', { burst: 5, perSecond: Number.POSITIVE_INFINITY }, RangeError, 'Infinity'],
  ['heartbeatIntervalMs', -5, RangeError, '-5'],
  ['heartbeatIntervalMs', 3e9, RangeError, '3000000000'],
  ['turnTimeoutMs', 3e9, RangeError, '3000000000'],
  ['turnTimeoutMs', 0, RangeError, '0'],
  ['sendAccumulated', 0, RangeError, '0'],
  ['sendAccumulated', 2.5, RangeError, '2.5'],
  ['sendAccumulated', 'yes', TypeError, '"yes"'],
  ['accumulatedBudget', 'small', TypeError, '"small"'],
  ['accumulatedBudget', { perChar: 0 }, RangeError, '0'],
  ['accumulatedBudget', { extra: -1 }, RangeError, '-1'],
  ['accumulatedBudget', { intervalMs: 3e9 }, RangeError, '3000000000'],
  ['accumulatedBudget', { perSecond: -1 }, RangeError, '-1'],
  ['highWaterMark', 0, RangeError, '0'],
  ['bufferSize', 1.5, RangeError, '1.5'],
  ['bufferSize', 0, RangeError, '0'],
  ['readyMessage', 42, TypeError, '42'],
];

describe('createStreamingServer option checks', () => {
  it.each(serverRows)('%s = %j throws %o naming it', async (option, value, ErrorClass, shown) => {
    const options = { ...base, [option]: value } as StreamingServerOptions;
    const error = await createStreamingServer(options).then(
      (server) => {
        void server.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ErrorClass);
    const name =
      (option === 'rateLimit' || option === 'accumulatedBudget') && typeof value === 'object'
        ? `${option}.`
        : option;
    expect((error as Error).message).toContain(`\`${name}`);
    expect((error as Error).message).toContain(shown);
  });

  it('an http.Server that is not listening is refused, and no upgrade listener is left on it', async () => {
    const http = createServer();
    await expect(createStreamingServer({ ...base, port: undefined, server: http })).rejects.toThrow(
      /`server`.*listening/,
    );
    expect(http.listenerCount('upgrade')).toBe(0);
  });

  it('good values at the edges are accepted', async () => {
    const server = await createStreamingServer({
      ...base,
      maxQueuedMessages: 0,
      heartbeatIntervalMs: 0,
      turnTimeoutMs: 2 ** 31 - 1,
      rateLimit: false,
      sendAccumulated: 3,
      bufferSize: 1,
      allowedOrigins: ['http://localhost'],
    });
    await server.close();
  });
});

type OutputRow = [option: string, value: unknown, error: typeof TypeError | typeof RangeError, shown: string];

const outputRows: OutputRow[] = [
  ['bufferSize', 1.5, RangeError, '1.5'],
  ['bufferSize', 0, RangeError, '0'],
  ['bufferSize', '10', TypeError, '"10"'],
  ['overflow', 'drop', TypeError, '"drop"'],
  ['overflow', 1, TypeError, '1'],
  ['backlogSize', -1, RangeError, '-1'],
  ['backlogSize', 0.5, RangeError, '0.5'],
  ['nextInChain', {}, TypeError, 'Object'],
  ['nextInChain', 'room', TypeError, '"room"'],
];

describe('StreamingTextOutput option checks', () => {
  it.each(outputRows)('%s = %j throws %o naming it', (option, value, ErrorClass, shown) => {
    let error: unknown;
    try {
      new StreamingTextOutput({ [option]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ErrorClass);
    expect((error as Error).message).toContain(`\`${option}\``);
    expect((error as Error).message).toContain(shown);
  });

  it('stream() and subscribe() check their signal the same way', () => {
    const out = new StreamingTextOutput();
    expect(() => out.subscribe({ signal: 'stop' as never })).toThrow(TypeError);
    expect(() => out.stream({ signal: {} as never })).toThrow(/`signal`.*AbortSignal/);
  });

  it('attach() checks the same way, before it touches the session', () => {
    const session = new voice.AgentSession({});
    expect(() => StreamingTextOutput.attach(session, { bufferSize: 0 })).toThrow(RangeError);
    expect(session.output.transcription).toBeNull();
  });
});
