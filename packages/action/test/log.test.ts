import type { WaitEvent } from '@catalog-crawl/core';
import { describe, expect, it } from 'vitest';
import { eventLine, finalLine, headerLines, positionText, timePrefix, WarningCollapser } from '../src/log.js';
import { completedCrawl, crawl } from './fixtures.js';

const base = {
  executionId: 'crawl-skims-com-a1b2c3d4',
  elapsedMs: 80_000,
  remainingMs: 3_520_000,
  crawl: crawl(),
};

function warning(kind: 'retry' | 'unknown_status', elapsedMs: number, message = 'HTTP 503'): WaitEvent {
  return { ...base, type: 'warning', kind, message, elapsedMs };
}

describe('log lines', () => {
  it('starts with the id and vendor', () => {
    expect(headerLines('crawl-skims-com-a1b2c3d4', 'skims.com', 'https://api.getcatalog.ai')).toEqual([
      'Crawl crawl-skims-com-a1b2c3d4 for skims.com',
      'Status: https://api.getcatalog.ai/v2/crawl/crawl-skims-com-a1b2c3d4',
    ]);
  });

  it('prints elapsed time and time left on every change', () => {
    expect(timePrefix(80_000, 3_520_000)).toBe('[+1m20s, 58m40s left]');
    expect(eventLine({ ...base, type: 'status', previous: 'pending', status: 'running' })).toBe(
      '[+1m20s, 58m40s left] status pending -> running',
    );
    expect(eventLine({ ...base, type: 'status', previous: undefined, status: 'pending' })).toBe(
      '[+1m20s, 58m40s left] status pending',
    );
    expect(eventLine({ ...base, type: 'step_started', step: 'Discovering collections', index: 1 })).toBe(
      '[+1m20s, 58m40s left] step 2/4 Discovering collections started',
    );
    expect(
      eventLine({
        ...base,
        type: 'step_finished',
        step: 'Determining crawl method',
        index: 0,
        status: 'completed',
      }),
    ).toBe('[+1m20s, 58m40s left] step 1/4 Determining crawl method completed');
    expect(
      eventLine({
        ...base,
        type: 'progress',
        progress: { collectionsFound: 12, listingsFound: 1234 },
        previous: undefined,
      }),
    ).toBe('[+1m20s, 58m40s left] found 12 collections, 1,234 listings');
    expect(eventLine({ ...base, type: 'heartbeat' })).toBe(
      // core's counts say whether they are final: the same words as the CLI and the MCP server
      '[+1m20s, 58m40s left] still waiting: running, step 2/4 Discovering collections, 12 collections, 1,234 listings so far',
    );
    expect(eventLine(warning('retry', 1))).toBeUndefined();
  });

  it('describes the position and the end', () => {
    expect(positionText(undefined)).toBe('not seen yet');
    expect(
      finalLine({ outcome: 'completed', executionId: 'crawl-a-1', crawl: completedCrawl(), elapsedMs: 5 }),
    ).toBe('✅ Crawl crawl-a-1 completed in 10m: 40 collections, 5,000 listings');
    expect(
      finalLine({
        outcome: 'failed',
        executionId: 'crawl-a-1',
        crawl: crawl({ error: 'boom' }),
        elapsedMs: 5,
      }),
    ).toBe('❌ failed (crawl-a-1): boom');
  });
});

describe('WarningCollapser', () => {
  it('annotates the first transient error once, then folds the rest into rare info lines', () => {
    const collapser = new WarningCollapser();
    const actions = [];
    for (let i = 0; i < 30; i++) actions.push(...collapser.handle(warning('retry', i * 10_000) as never));
    const annotations = actions.filter((a) => a.level === 'warning');
    const infos = actions.filter((a) => a.level === 'info');
    expect(annotations).toHaveLength(1);
    expect(annotations[0]!.text).toMatch(/^Transient API error, retrying: HTTP 503/);
    // 30 warnings over 290 s: an info line at most once a minute
    expect(infos.length).toBeGreaterThanOrEqual(4);
    expect(infos.length).toBeLessThanOrEqual(5);
    expect(infos[0]!.text).toMatch(/6 more transient error\(s\) retried \(7 in all; last: HTTP 503\)/);
    expect(collapser.count).toBe(30);
  });

  it('annotates other warnings once per message', () => {
    const collapser = new WarningCollapser();
    const first = collapser.handle(warning('unknown_status', 0, 'unknown status "paused"') as never);
    const second = collapser.handle(warning('unknown_status', 10, 'unknown status "paused"') as never);
    expect(first).toEqual([{ level: 'warning', text: 'unknown status "paused"' }]);
    expect(second.map((a) => a.level)).toEqual(['debug']);
  });
});
