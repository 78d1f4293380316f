import { EventEmitter } from 'node:events';
import { ParticipantKind, type Room } from '@livekit/rtc-node';

/** One text stream the agent opened on the room (one transcription segment). */
export interface RoomTextStream {
  topic: string;
  senderIdentity: string;
  attributes: Record<string, string>;
  chunks: string[];
  closed: boolean;
}

type TextStreamHandler = (
  reader: { readAll(): Promise<string>; info: Record<string, unknown> },
  participant: { identity: string },
) => void;

/**
 * A connected room with remote users (one, `user`, unless `users` names them), shaped like
 * agents-js's own `room_io.test.ts` fake, plus the local participant's `streamText` so the real
 * `ParticipantTranscriptionOutput` publishes into `streams`, and `sendText` for a user typing in
 * the chat (the `lk.chat` text stream RoomIO reads). Nothing leaves the process.
 */
export function createFakeRoom({ users = ['user'] }: { users?: string[] } = {}) {
  const emitter = new EventEmitter();
  const streams: RoomTextStream[] = [];
  const textHandlers = new Map<string, TextStreamHandler>();
  const remote = (identity: string) => ({
    identity,
    sid: `PA_${identity}`,
    info: { kind: ParticipantKind.STANDARD },
    attributes: {},
    trackPublications: new Map(),
    disconnectReason: undefined,
  });
  const localParticipant = {
    identity: 'agent',
    sid: 'PA_agent',
    attributes: {},
    trackPublications: new Map(),
    setAttributes: async () => {},
    publishTranscription: async () => {},
    publishTrack: async () => undefined,
    streamBytes: async () => ({ write: async () => {}, close: async () => {} }),
    streamText: async (options: {
      topic: string;
      senderIdentity: string;
      attributes: Record<string, string>;
    }) => {
      const stream: RoomTextStream = {
        topic: options.topic,
        senderIdentity: options.senderIdentity,
        attributes: { ...options.attributes },
        chunks: [],
        closed: false,
      };
      streams.push(stream);
      return {
        write: async (text: string) => {
          if (stream.closed) throw new Error('write after close');
          stream.chunks.push(text);
        },
        close: async () => {
          stream.closed = true;
        },
      };
    },
  };
  const room = {
    name: 'test-room',
    isConnected: true,
    remoteParticipants: new Map(users.map((identity) => [identity, remote(identity)])),
    localParticipant,
    on(event: string | symbol, listener: (...args: unknown[]) => void) {
      emitter.on(event, listener);
      return room;
    },
    off(event: string | symbol, listener: (...args: unknown[]) => void) {
      emitter.off(event, listener);
      return room;
    },
    registerTextStreamHandler: (topic: string, handler: TextStreamHandler) => {
      textHandlers.set(topic, handler);
    },
    unregisterTextStreamHandler: (topic: string) => {
      textHandlers.delete(topic);
    },
    registerByteStreamHandler: () => {},
    unregisterByteStreamHandler: () => {},
  };
  return {
    room: room as unknown as Room,
    streams,
    /** `identity` types `text` in the room's chat, as a LiveKit client sends it. */
    sendText(identity: string, text: string, topic = 'lk.chat') {
      const handler = textHandlers.get(topic);
      if (handler === undefined) throw new Error(`nothing reads the ${topic} text stream`);
      handler({ readAll: async () => text, info: { topic, id: `TS_${streams.length}` } }, { identity });
    },
    /** The agent's transcription as room clients receive it: one string per closed segment. */
    agentTranscripts(): string[] {
      return streams
        .filter((s) => s.topic === 'lk.transcription' && s.senderIdentity === 'agent' && s.closed)
        .map((s) => s.chunks.join(''));
    },
  };
}
