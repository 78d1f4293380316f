import { copyFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoInChromium, openDemoInChromium, TEST_OUTPUT } from '../helpers/browser.js';

const DOCS = new URL('../../docs/', import.meta.url).pathname;

let page: Page;

let opened: DemoInChromium | undefined;

beforeAll(async () => {
  opened = await openDemoInChromium(700);
  ({ page } = opened);
});

afterAll(async () => {
  await opened?.close();
});

/** The page as a MutationObserver saw it after each DOM change of the latest reply. */
interface Observation {
  /** data-testid of the reply's children, in order. */
  children: string[];
  status: string;
  toolState: string | null;
  toolText: string;
  /** Characters of text in the parts after the tool step. */
  textAfterTool: number;
  /** The tool step's distance from the top of its reply, in CSS pixels. */
  toolTop: number | null;
}

/** Starts recording every change of the next reply; resolves with the record when that turn ends. */
function observeNextReply(): Promise<Observation[]> {
  return page.evaluate(
    () =>
      new Promise<Observation[]>((resolve) => {
        const seen: Observation[] = [];
        const existing = document.querySelectorAll('[data-testid="reply"]').length;
        const observe = () => {
          const reply = document.querySelectorAll<HTMLElement>('[data-testid="reply"]')[existing];
          if (!reply) return;
          const children = [...reply.children].map((c) => c.getAttribute('data-testid') ?? c.className);
          const step = reply.querySelector<HTMLElement>('[data-testid="tool-step"]');
          let after = 0;
          let passedTool = false;
          for (const child of reply.children) {
            if (child === step) passedTool = true;
            else if (passedTool && child.getAttribute('data-testid') === 'text-part')
              after += (child.textContent ?? '').length;
          }
          const observation: Observation = {
            children,
            status: reply.dataset.status ?? '',
            toolState: step?.dataset.state ?? null,
            toolText: step?.innerText ?? '',
            textAfterTool: after,
            toolTop: step ? step.getBoundingClientRect().top - reply.getBoundingClientRect().top : null,
          };
          const last = seen.at(-1);
          if (JSON.stringify(last) !== JSON.stringify(observation)) seen.push(observation);
          if (observation.status !== 'streaming') {
            observer.disconnect();
            resolve(seen);
          }
        };
        const observer = new MutationObserver(observe);
        observer.observe(document.body, {
          childList: true,
          subtree: true,
          characterData: true,
          attributes: true,
        });
      }),
  );
}

async function send(text: string) {
  await page.getByLabel('Message').fill(text);
  await page.getByLabel('Message').press('Enter');
}

/** Waits until the latest reply shows a running tool, or has ended without one. */
async function untilToolRunsOrTurnEnds() {
  await page.waitForFunction(
    () => {
      const replies = document.querySelectorAll<HTMLElement>('[data-testid="reply"]');
      const reply = replies[replies.length - 1];
      return (
        reply !== undefined &&
        (reply.querySelector('[data-testid="tool-running"]') !== null || reply.dataset.status !== 'streaming')
      );
    },
    undefined,
    { timeout: 20_000 },
  );
}

/** Screenshots go to test-output/; with DOCS_SCREENSHOTS=1 also to docs/, where the README uses them. */
async function screenshot(name: string) {
  await page.screenshot({ path: `${TEST_OUTPUT}${name}` });
  if (process.env.DOCS_SCREENSHOTS === '1') copyFileSync(`${TEST_OUTPUT}${name}`, `${DOCS}${name}`);
}

describe('tool steps in the demo page, live', () => {
  it('shows the tool step running before the text after it, fills in its output before the turn ends, and never moves it', async () => {
    const recording = observeNextReply();
    await send('What is the weather in Paris?');
    await untilToolRunsOrTurnEnds();
    expect(await page.getByTestId('reply').last().getByTestId('tool-running').count()).toBe(1);
    await screenshot('demo-tool-running.png');
    const seen = await recording;
    await screenshot('demo-tool-call.png');

    const firstStep = seen.findIndex((o) => o.toolState !== null);
    const firstTextAfter = seen.findIndex((o) => o.textAfterTool > 0);
    const firstOutput = seen.findIndex((o) => o.toolState === 'done');
    const end = seen.length - 1;
    expect(firstStep).toBeGreaterThan(0);
    // The step arrives while the text before it is on screen and nothing after it is.
    expect(seen[firstStep]).toMatchObject({ toolState: 'running', textAfterTool: 0 });
    expect(seen[firstStep]!.children[0]).toBe('text-part');
    expect(seen[firstStep]!.toolText).toContain('lookupWeather({"city":"Paris"})');
    expect(seen[firstStep]!.toolText).toContain('running');
    // Its output comes after it ran, before the text after it, and the turn ends after both.
    expect(firstOutput).toBeGreaterThan(firstStep);
    expect(firstTextAfter).toBeGreaterThan(firstStep);
    expect(firstOutput).toBeLessThanOrEqual(firstTextAfter);
    expect(seen[end]!.status).toBe('complete');
    expect(end).toBeGreaterThan(firstTextAfter);
    expect(seen[firstOutput]!.toolText).toMatch(/↳ \w[^"]*°C in Paris\.$/);
    expect(seen[firstOutput]!.toolText).not.toContain('running');
    // The layout never jumps back: the parts only append, and the step stays where it appeared.
    const final = seen[end]!.children.filter((c) => c !== 'meta');
    expect(final).toEqual(['text-part', 'tool-step', 'text-part']);
    const tops = new Set(seen.slice(firstStep).map((o) => o.toolTop));
    expect(tops.size).toBe(1);
    for (const o of seen.slice(firstStep)) {
      const parts = o.children.filter((c) => c === 'text-part' || c === 'tool-step');
      expect(final.slice(0, parts.length)).toEqual(parts);
    }
  });

  it('a turn stopped while its tool runs ends with the step shown', async () => {
    await send('And the weather in Rome?');
    const reply = page.getByTestId('reply').last();
    await untilToolRunsOrTurnEnds();
    expect(await reply.getByTestId('tool-running').count()).toBe(1);
    await page.getByRole('button', { name: 'Stop' }).click();
    await expect.poll(() => reply.getAttribute('data-status'), { timeout: 20_000 }).not.toBe('streaming');
    const step = reply.getByTestId('tool-step');
    expect(await step.innerText()).toContain('lookupWeather({"city":"Rome"})');
    // No spinner left behind: the step says it got no output, or shows the output the framework reported.
    expect(await step.innerText()).not.toContain('running');
    expect(await step.getAttribute('data-state')).toMatch(/^(stopped|done)$/);
  });
});
