import { llm } from '@livekit/agents';
import type { UIMessage } from 'ai';

type Part = UIMessage['parts'][number];

interface ToolPartLike {
  type: string;
  toolCallId: string;
  toolName?: string;
  state: string;
  input?: unknown;
  output?: unknown;
  errorText?: string;
}

const isToolPart = (part: Part): part is Part & ToolPartLike =>
  (part.type.startsWith('tool-') || part.type === 'dynamic-tool') && 'toolCallId' in part;

/** The text of a message's text parts, joined. */
export function messageText(message: UIMessage): string {
  let text = '';
  for (const part of message.parts) if (part.type === 'text') text += part.text;
  return text;
}

/**
 * The chat context the client's messages describe, as the framework's items: user and assistant
 * text, and each finished tool call with its output. Used when this process has no session for a
 * chat id (a restart, another process), so the agent remembers the conversation. Tool outputs are
 * JSON-encoded, as the framework hands them to the model; a tool call with no result yet is left
 * out (the framework would refuse a call without an output).
 */
export function chatItemsFrom(messages: readonly UIMessage[]): llm.ChatItem[] {
  const items: llm.ChatItem[] = [];
  for (const message of messages) {
    if (message.role === 'user') {
      const text = messageText(message);
      if (text !== '') items.push(llm.ChatMessage.create({ role: 'user', content: text }));
      continue;
    }
    if (message.role !== 'assistant') continue;
    let text = '';
    const flush = () => {
      if (text !== '') items.push(llm.ChatMessage.create({ role: 'assistant', content: text }));
      text = '';
    };
    for (const part of message.parts) {
      if (part.type === 'text') {
        text += part.text;
      } else if (isToolPart(part)) {
        const finished = part.state === 'output-available' || part.state === 'output-error';
        if (!finished) continue;
        flush();
        const name = part.toolName ?? part.type.slice('tool-'.length);
        items.push(
          llm.FunctionCall.create({
            callId: part.toolCallId,
            name,
            args: JSON.stringify(part.input ?? {}),
          }),
        );
        const isError = part.state === 'output-error';
        items.push(
          llm.FunctionCallOutput.create({
            callId: part.toolCallId,
            name,
            output: isError ? (part.errorText ?? '') : JSON.stringify(part.output ?? null),
            isError,
          }),
        );
      }
    }
    flush();
  }
  return items;
}
