import type { UIMessageChunk } from 'ai';
import type { ResultEvent, ToolCallFrame, ToolOutputFrame, TurnFrame } from '../protocol/frames.js';

export type { ToolCallFrame, ToolOutputFrame, TurnFrame };

/** JSON text as a value when it parses (the AI SDK shows tool inputs and outputs as values), else the text. */
function jsonValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Our turn frames → AI SDK `UIMessageChunk`s, for one assistant message. Pure: no I/O, no clock.
 *
 * - `start()` opens the message (`start` with its `messageId`) and its first step.
 * - Each generation's text is one text part (`text-start` / `text-delta` / `text-end`), id
 *   `<messageId>-<generation>`.
 * - A tool call is `tool-input-available`, its result `tool-output-available` or `tool-output-error`.
 *   The first text or tool call after a tool's result starts a new step, as the AI SDK counts
 *   steps (one model call, then its tools).
 * - `result` ends the message: `finish`, preceded by `abort` when the turn was interrupted. Tool
 *   calls the turn made that were not sent live (a server without live tool frames) are sent
 *   here, before `finish`, so the message still has them.
 * - `error` ends it with an `error` chunk, then `finish`.
 * After the end, every frame maps to nothing.
 */
export class UIChunkMapper {
  private openText: string | undefined;
  private stepHasToolOutput = false;
  private readonly callsSent = new Set<string>();
  private readonly outputsSent = new Set<string>();
  private ended = false;

  constructor(readonly messageId: string) {}

  start(): UIMessageChunk[] {
    return [{ type: 'start', messageId: this.messageId }, { type: 'start-step' }];
  }

  get isEnded(): boolean {
    return this.ended;
  }

  map(frame: TurnFrame): UIMessageChunk[] {
    if (this.ended) return [];
    const out: UIMessageChunk[] = [];
    switch (frame.type) {
      case 'delta':
        if (frame.delta === '') break;
        this.openTextPart(out, frame.generation);
        out.push({ type: 'text-delta', id: this.openText!, delta: frame.delta });
        break;
      case 'complete': {
        const id = this.textId(frame.generation);
        if (this.openText === id) {
          this.closeText(out);
        } else if (frame.text !== '') {
          // A generation that arrived whole (no deltas): still one text part.
          this.openTextPart(out, frame.generation);
          out.push({ type: 'text-delta', id, delta: frame.text });
          this.closeText(out);
        }
        break;
      }
      case 'tool_call':
        this.toolCall(out, frame.callId, frame.name, frame.arguments);
        break;
      case 'tool_output':
        this.toolOutput(out, frame.callId, frame.name, frame.output, frame.isError);
        break;
      case 'result':
        this.closeText(out);
        for (const event of frame.events) this.lateToolEvent(out, event);
        this.closeText(out);
        out.push({ type: 'finish-step' });
        if (frame.interrupted) out.push({ type: 'abort', reason: 'interrupted' });
        out.push({ type: 'finish', finishReason: frame.interrupted ? 'interrupted' : 'stop' });
        this.ended = true;
        break;
      case 'error':
        this.closeText(out);
        out.push({ type: 'finish-step' });
        out.push({ type: 'error', errorText: frame.message });
        out.push({ type: 'finish', finishReason: 'error' });
        this.ended = true;
        break;
    }
    return out;
  }

  private textId(generation: number): string {
    return `${this.messageId}-${generation}`;
  }

  private openTextPart(out: UIMessageChunk[], generation: number): void {
    const id = this.textId(generation);
    if (this.openText === id) return;
    this.closeText(out);
    this.nextStepIfNeeded(out);
    this.openText = id;
    out.push({ type: 'text-start', id });
  }

  private closeText(out: UIMessageChunk[]): void {
    if (this.openText === undefined) return;
    out.push({ type: 'text-end', id: this.openText });
    this.openText = undefined;
  }

  private nextStepIfNeeded(out: UIMessageChunk[]): void {
    if (!this.stepHasToolOutput) return;
    out.push({ type: 'finish-step' }, { type: 'start-step' });
    this.stepHasToolOutput = false;
  }

  private toolCall(out: UIMessageChunk[], callId: string, name: string, args: string | undefined): void {
    if (this.callsSent.has(callId)) return;
    this.closeText(out);
    this.nextStepIfNeeded(out);
    this.callsSent.add(callId);
    out.push({
      type: 'tool-input-available',
      toolCallId: callId,
      toolName: name,
      input: args === undefined ? {} : jsonValue(args),
    });
  }

  private toolOutput(
    out: UIMessageChunk[],
    callId: string,
    name: string,
    output: string,
    isError: boolean,
  ): void {
    if (this.outputsSent.has(callId)) return;
    // The AI SDK attaches an output to its call: a call we never saw is sent first.
    if (!this.callsSent.has(callId)) this.toolCall(out, callId, name, undefined);
    this.closeText(out);
    this.outputsSent.add(callId);
    out.push(
      isError
        ? { type: 'tool-output-error', toolCallId: callId, errorText: output }
        : { type: 'tool-output-available', toolCallId: callId, output: jsonValue(output) },
    );
    this.stepHasToolOutput = true;
  }

  private lateToolEvent(out: UIMessageChunk[], event: ResultEvent): void {
    if (event.type === 'function_call' && event.callId !== undefined) {
      this.toolCall(out, event.callId, event.name, event.arguments);
    } else if (event.type === 'function_call_output' && event.callId !== undefined) {
      this.toolOutput(out, event.callId, event.name ?? '', event.output, event.isError ?? false);
    }
  }
}
