import { formatCounts, formatDuration, formatStep } from '@catalog-crawl/core';
import { SAME_CRAWL } from '@catalog-crawl/test-kit';
import { describe, expect, it } from 'vitest';
import { finishFromResult } from '../src/outcome.js';
import { createColors } from '../src/output.js';
import { renderCrawlBlock } from '../src/render/live.js';
import { makeResult } from './helpers.js';

describe("the CLI uses core's vocabulary", () => {
  it('reads the same crawl as the Action and the MCP server do (defect: 1m31s vs 1h02m, step rules)', () => {
    const finish = finishFromResult(makeResult({ outcome: 'timed_out', crawl: SAME_CRAWL }), {
      timeoutMs: 90_500,
    });
    expect(finish.message).toBe('timed out after 1m31s, still running at step 2/4 Discovering collections');
    const stalled = finishFromResult(makeResult({ outcome: 'stalled', crawl: SAME_CRAWL }), {
      stallTimeoutMs: 3_720_000,
    });
    expect(stalled.message).toContain('no change for 1h2m at step 2/4 Discovering collections');
    expect(stalled.message).toContain('(12 collections, 340 listings so far)');
    const block = renderCrawlBlock(
      { executionId: SAME_CRAWL.executionId, crawl: SAME_CRAWL, startedAt: 0 },
      { colors: createColors(false), frame: 0, now: 90_500 },
    ).join('\n');
    expect(block).toContain(formatCounts(SAME_CRAWL)!);
    expect(block).toContain('12 collections, 340 listings so far');
  });
});

describe("the CLI's status command reads a crawl in core's words", () => {
  it('its duration as formatDuration reads it and its step as formatStep names it (was 1:30 and 1/4 steps)', () => {
    const lines = renderCrawlBlock(
      { executionId: SAME_CRAWL.executionId, crawl: SAME_CRAWL, startedAt: 0 },
      { colors: createColors(false), frame: 0, now: 0, static: true, durationMs: 90_500 },
    );
    expect(lines[0]).toBe(`● crawl-skims-com-4ddfa1c9  skims.com  running  ${formatDuration(90_500)}`);
    expect(lines[0]).toContain('1m31s');
    expect(lines.join('\n')).toContain(`${formatStep(SAME_CRAWL)} · ${formatCounts(SAME_CRAWL)}`);
    expect(lines.join('\n')).toContain(
      'step 2/4 Discovering collections · 12 collections, 340 listings so far',
    );
    const unknown = renderCrawlBlock(
      { executionId: SAME_CRAWL.executionId, crawl: SAME_CRAWL, startedAt: 0 },
      { colors: createColors(false), frame: 0, now: 0, static: true, durationMs: undefined },
    );
    expect(unknown[0]).toBe('● crawl-skims-com-4ddfa1c9  skims.com  running');
    const done = renderCrawlBlock(
      {
        executionId: SAME_CRAWL.executionId,
        crawl: {
          ...SAME_CRAWL,
          status: 'completed',
          steps: SAME_CRAWL.steps.map((s) => ({ ...s, status: 'completed' })),
          result: { collectionsTotal: 45, listingsTotal: 1_200 },
        },
        startedAt: 0,
      },
      { colors: createColors(false), frame: 0, now: 0, static: true, durationMs: 3_720_000 },
    );
    expect(done[0]).toContain('completed  1h2m');
    expect(done.join('\n')).toContain('4/4 steps · 45 collections, 1,200 listings');
  });
});
