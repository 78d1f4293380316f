import type { llm, voice } from '@livekit/agents';

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
