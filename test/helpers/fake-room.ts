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

/**
 * A connected room with one remote user, shaped like agents-js's own `room_io.test.ts` fake, plus
 * the local participant's `streamText` so the real `ParticipantTranscriptionOutput` publishes into
 * `streams`. Nothing leaves the process.
 */
export function createFakeRoom() {
  const emitter = new EventEmitter();
  const streams: RoomTextStream[] = [];
  const user = {
    identity: 'user',
    sid: 'PA_user',
    info: { kind: ParticipantKind.STANDARD },
    attributes: {},
    trackPublications: new Map(),
    disconnectReason: undefined,
  };
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
    remoteParticipants: new Map([[user.identity, user]]),
    localParticipant,
    on(event: string | symbol, listener: (...args: unknown[]) => void) {
      emitter.on(event, listener);
      return room;
    },
    off(event: string | symbol, listener: (...args: unknown[]) => void) {
      emitter.off(event, listener);
      return room;
    },
    registerTextStreamHandler: () => {},
    unregisterTextStreamHandler: () => {},
    registerByteStreamHandler: () => {},
    unregisterByteStreamHandler: () => {},
  };
  return {
    room: room as unknown as Room,
    streams,
    /** The agent's transcription as room clients receive it: one string per closed segment. */
    agentTranscripts(): string[] {
      return streams
        .filter((s) => s.topic === 'lk.transcription' && s.senderIdentity === 'agent' && s.closed)
        .map((s) => s.chunks.join(''));
    },
  };
}
