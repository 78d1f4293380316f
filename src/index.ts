// The public surface of `livekit-streaming-text`: what you call, the options you pass, and what
// you read. test/exports.test.ts lists every name of every entry point; keep them few.
export type {
  StreamEvent,
  TextCompleteEvent,
  TextDeltaEvent,
  TextEvent,
  ToolCallEvent,
  ToolOutputEvent,
  ToolStepEvent,
} from './core/events.js';
export { BufferOverflowError } from './core/reader-buffer.js';
export { StreamReader } from './core/stream-reader.js';
export {
  type AttachOptions,
  StreamingTextOutput,
  type StreamingTextOutputOptions,
} from './core/streaming-text-output.js';
export type { TextOutput } from './core/text-output.js';
