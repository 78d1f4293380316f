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
