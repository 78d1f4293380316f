import type { UIMessageChunk } from 'ai';
import { ERROR_CODES, type SequencedFrame, type TurnFrame } from '../protocol/frames.js';
import type { FrameLog } from '../session/frame-log.js';
import type { SessionStore } from '../session/store.js';
import { UIChunkMapper } from './ui-chunks.js';

/** How often a listener of a turn written by another process asks the log for more. */
const REMOTE_POLL_MS = 25;

/** One assistant message's turn, as written to the frame log (under `logId`, seq from 1). */
export interface ChatTurn {
  readonly chatId: string;
  readonly logId: string;
  readonly messageId: string;
  /** The process writing it (its session store's id); '' without a store. */
  readonly owner: string;
  /** Set once some listener of this process has read the whole turn, end included. */
  delivered: boolean;
}

/** Where one listener's chunks go (an SSE response, one request of a socket). */
export interface ChunkOutlet {
  /** Writes one chunk with its sequence number. */
  write(chunk: UIMessageChunk, sequence: number): void;
  /** The turn ended and every chunk was written. */
  end(): void;
  /** True while the peer has too much unread; `whenDrained` says when to go on. */
  isBehind(): boolean;
  whenDrained(resume: () => void): void;
  isOpen(): boolean;
}

/** Appends one turn's frames, numbered, and wakes this process's listeners. */
export interface TurnWriter {
  readonly turn: ChatTurn;
  write(frame: TurnFrame): void;
  /** The writer is done (its last frame ended the turn, or the chat is closing). */
  close(): void;
}

const storeKey = (chatId: string) => `ai-sdk:${chatId}`;

/**
 * The AI SDK chats' turns in the server's one `FrameLog`: each turn's protocol frames are written
 * there as they are played (one log entry per turn, so a replay starts at seq 1), and every
 * listener maps them to UI message chunks as it reads (`UIChunkMapper`), so the chunk sequence is
 * derived from the frames. With a `SessionStore` (Redis), each chat's running turn is registered
 * under the chat id with this process as owner: another process finds it, replays what was
 * written, follows it live while the owner holds its lease, and ends it with an error when the
 * owner died. Any number of listeners may follow one turn.
 */
export class ChatTurns {
  /** Wakers of the listeners of turns this process is writing, by log id. */
  private readonly writing = new Map<string, Set<() => void>>();
  readonly processId: string;

  constructor(
    private readonly log: FrameLog,
    private readonly store: SessionStore | undefined,
    private readonly keepMs: number,
    private readonly onError: (error: unknown, where: string) => void,
  ) {
    this.processId = store?.processId ?? '';
  }

  /** Starts writing a new turn of `chatId`; the previous turn of this chat (`previous`) is dropped. */
  begin(chatId: string, messageId: string, previous: ChatTurn | undefined): TurnWriter {
    if (previous !== undefined) this.log.delete(previous.logId);
    const turn: ChatTurn = {
      chatId,
      logId: `ai-sdk:${chatId}:${messageId}`,
      messageId,
      owner: this.processId,
      delivered: false,
    };
    const wakers = new Set<() => void>();
    this.writing.set(turn.logId, wakers);
    this.store?.register(storeKey(chatId), { sessionId: turn.logId, owner: this.processId, identity: '' });
    let seq = 0;
    let closed = false;
    return {
      turn,
      write: (frame) => {
        if (closed) return;
        this.log.append(turn.logId, { ...frame, seq: ++seq } as SequencedFrame);
        for (const wake of wakers) wake();
      },
      close: () => {
        if (closed) return;
        closed = true;
        this.writing.delete(turn.logId);
        // Ended: no other process offers it for a resume (its client read it, or reads it here).
        this.store?.release(storeKey(chatId));
        // Kept for a resume while the chat could still be resumed; the next turn drops it sooner.
        this.log.expire(turn.logId, this.keepMs);
        for (const wake of wakers) wake();
      },
    };
  }

  /**
   * The chat's running turn as the session store knows it (written by any process), if any: a
   * turn that ended is released, so it is not offered again.
   */
  async find(chatId: string): Promise<ChatTurn | undefined> {
    const stored = await this.store?.find(storeKey(chatId));
    if (stored === undefined || stored.owner === '') return undefined;
    const messageId = stored.sessionId.slice(stored.sessionId.lastIndexOf(':') + 1);
    return { chatId, logId: stored.sessionId, messageId, owner: stored.owner, delivered: false };
  }

  /**
   * Copies a turn's chunks to one outlet from its start, live, pausing while the outlet is behind
   * (reads wait for it too, so a stalled listener holds no more than one read). Returns the stop.
   */
  follow(turn: ChatTurn, outlet: ChunkOutlet): () => void {
    const mapper = new UIChunkMapper(turn.messageId);
    let queue: UIMessageChunk[] = mapper.start();
    /** Index in `queue` of the next chunk to write; `sent` counts chunks over the whole turn. */
    let next = 0;
    let sent = 0;
    let after = 0;
    let stopped = false;
    let reading = false;
    let waitingDrain = false;
    /** New frames may be in the log: read before waiting. */
    let dirty = true;
    let poll: ReturnType<typeof setTimeout> | undefined;
    const wakers = this.writing.get(turn.logId);

    const stop = () => {
      stopped = true;
      clearTimeout(poll);
      wakers?.delete(wake);
    };
    const wake = () => {
      dirty = true;
      pump();
    };
    const endWith = (message: string) =>
      queue.push(...mapper.map({ type: 'error', code: 'turn_lost', message }));

    const pump = (): void => {
      if (stopped || waitingDrain || reading) return;
      while (next < queue.length) {
        if (!outlet.isOpen()) {
          stop();
          return;
        }
        if (outlet.isBehind()) {
          waitingDrain = true;
          outlet.whenDrained(() => {
            waitingDrain = false;
            pump();
          });
          return;
        }
        outlet.write(queue[next++]!, sent++);
      }
      queue = [];
      next = 0;
      if (mapper.isEnded) {
        stop();
        turn.delivered = true;
        outlet.end();
        return;
      }
      if (dirty) void read();
      else if (!this.writing.has(turn.logId))
        poll ??= setTimeout(() => {
          poll = undefined;
          wake();
        }, REMOTE_POLL_MS);
    };

    const read = async (): Promise<void> => {
      reading = true;
      dirty = false;
      try {
        const { frames, gap } = await this.log.read(turn.logId, after);
        // The log's byte bound dropped the turn's start: restate it from the turn kept whole
        // (its text and outcome; tool steps come with the result), or say the gap.
        const whole = gap ? await this.log.turnFrames?.(turn.logId) : undefined;
        if (gap && (whole === undefined || whole.length === 0)) {
          endWith(ERROR_CODES.resume_gap);
        } else if (gap) {
          for (const frame of whole!) {
            if (frame.seq <= after) continue;
            after = frame.seq;
            queue.push(...mapper.map(frame as TurnFrame));
          }
          dirty = true;
        } else {
          for (const frame of frames) {
            after = frame.seq;
            queue.push(...mapper.map(frame as TurnFrame));
          }
          if (frames.length === 0 && !this.writing.has(turn.logId) && !(await this.holderLives(turn))) {
            // The writer is gone: what it wrote after our read is still read once, then the cut.
            const last = await this.log.read(turn.logId, after);
            for (const frame of last.frames) queue.push(...mapper.map(frame as TurnFrame));
            endWith(ERROR_CODES.turn_lost);
            // Said once: a later resume of this chat finds nothing running.
            this.store?.release(storeKey(turn.chatId));
          }
        }
      } catch (error) {
        this.onError(error, 'ai-sdk resume');
        endWith(ERROR_CODES.turn_lost);
      } finally {
        reading = false;
      }
      pump();
    };

    wakers?.add(wake);
    pump();
    return stop;
  }

  /** Whether the process writing `turn` still does: this one only while it is writing it. */
  private async holderLives(turn: ChatTurn): Promise<boolean> {
    if (turn.owner === this.processId) return this.writing.has(turn.logId);
    return this.store === undefined ? false : await this.store.isAlive(turn.owner);
  }
}
