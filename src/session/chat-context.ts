import { llm, type voice } from '@livekit/agents';
import type { TranscriptItem } from '../protocol/frames.js';

/**
 * Appends a conversation restored from elsewhere (another process's log, the messages an AI SDK
 * client sent) to a new agent's chat context: oldest first, each a millisecond apart, all dated
 * before anything this session adds, so the framework keeps them in that order.
 */
export async function appendRestoredItems(agent: voice.Agent, items: llm.ChatItem[]): Promise<void> {
  if (items.length === 0) return;
  const ctx = agent.chatCtx.copy();
  const start = Date.now() - items.length - 1;
  items.forEach((item, i) => {
    item.createdAt = start + i;
  });
  ctx.items = [...ctx.items, ...items];
  await agent.updateChatCtx(ctx);
}

/**
 * Drops the `userTurn`-th user message (1-based) and everything after it from the agent's chat
 * context: what a regenerate replaces (the answer, its tool calls, and the user message, which
 * the new run adds again). When the context holds fewer user messages (it was restored from
 * elsewhere), the last one is the turn. Nothing to drop: nothing changes.
 */
export async function dropFromUserTurn(agent: voice.Agent, userTurn: number): Promise<void> {
  const ctx = agent.chatCtx.copy();
  const users: number[] = [];
  ctx.items.forEach((item, i) => {
    if (item.type === 'message' && item.role === 'user') users.push(i);
  });
  const cut = users[userTurn - 1] ?? users.at(-1);
  if (cut === undefined) return;
  ctx.items = ctx.items.slice(0, cut);
  await agent.updateChatCtx(ctx);
}

/**
 * A client's transcript (the `resume` frame's) as the framework's chat items: the last `maxItems`
 * of it, texts as messages, and each tool call that has its output (the framework refuses a call
 * without one). Empty texts are left out.
 */
export function transcriptChatItems(transcript: readonly TranscriptItem[], maxItems: number): llm.ChatItem[] {
  const kept = transcript.slice(-maxItems);
  const answered = new Set(kept.filter((i) => i.type === 'function_call_output').map((i) => i.callId));
  const called = new Set(kept.filter((i) => i.type === 'function_call').map((i) => i.callId));
  const items: llm.ChatItem[] = [];
  for (const item of kept) {
    if (item.type === 'message') {
      if (item.content !== '') items.push(llm.ChatMessage.create({ role: item.role, content: item.content }));
    } else if (item.type === 'function_call') {
      if (answered.has(item.callId))
        items.push(llm.FunctionCall.create({ callId: item.callId, name: item.name, args: item.arguments }));
    } else if (called.has(item.callId)) {
      items.push(
        llm.FunctionCallOutput.create({
          callId: item.callId,
          name: item.name,
          output: item.output,
          isError: item.isError,
        }),
      );
    }
  }
  return items;
}
