export type { Timing } from './attach.js';
export type {
  OverflowPolicy,
  StreamEvent,
  TextCompleteEvent,
  TextDeltaEvent,
  TextEvent,
  ToolCallEvent,
  ToolOutputEvent,
  ToolStepEvent,
} from './events.js';
export { BufferOverflowError } from './reader-buffer.js';
export { StreamReader } from './stream-reader.js';
export {
  type AttachOptions,
  DEFAULT_BUFFER_SIZE,
  type ReadOptions,
  type SessionWithOutput,
  StreamingTextOutput,
  type StreamingTextOutputOptions,
} from './streaming-text-output.js';
export type { TextOutput, TimedString } from './text-output.js';
export { STANDARD_SPEECH_RATE } from './timing/spoken-pacer.js';
