import { stripVTControlCharacters } from 'node:util';
import { AbortedError, NotFoundError } from '@catalog-crawl/core';
import { createLogUpdate } from 'log-update';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { finishFromError, finishFromResult } from '../src/outcome.js';
import { createColors } from '../src/output.js';
import { JsonReporter } from '../src/render/json.js';
import { LiveReporter, renderCrawlBlock } from '../src/render/live.js';
import { PlainReporter } from '../src/render/plain.js';
import { event, fakeOutput, makeCrawl, makeResult } from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('renderCrawlBlock', () => {
  it('shows the four steps with marks, counts, elapsed time and a bar', () => {
    const lines = renderCrawlBlock(
      { executionId: 'crawl-skims-com-4ddfa1c9', crawl: makeCrawl(), startedAt: 0 },
      { colors: createColors(false), frame: 0, now: 65_000 },
    );
    const text = lines.join('\n');
    expect(lines[0]).toContain('crawl-skims-com-4ddfa1c9');
    expect(lines[0]).toContain('skims.com');
    expect(lines[0]).toContain('running');
    expect(lines[0]).toContain('1:05');
    expect(text).toContain('✔ Determining crawl method');
    expect(text).toMatch(/⠋ Discovering collections/);
    expect(text).toContain('· Analyzing collections');
    expect(text).toContain('· Extracting listings');
    expect(text).toContain('1/4 steps · 12 collections, 340 listings');
    expect(text).toMatch(/█+░+/);
  });

  it('marks a failed step and shows the outcome', () => {
    const crawl = makeCrawl({
      status: 'failed',
      error: 'Extraction failed',
      stepStatuses: ['completed', 'completed', 'completed', 'failed'],
    });
    const finish = finishFromResult(makeResult({ outcome: 'failed', crawl }));
    const lines = renderCrawlBlock(
      { executionId: crawl.executionId, crawl, startedAt: 0, done: finish },
      { colors: createColors(false), frame: 0, now: 1000 },
    );
    const text = lines.join('\n');
    expect(text).toContain('✖ Extracting listings');
    expect(text).toContain('failed at step 4/4 Extracting listings: Extraction failed');
    expect(lines[0]?.startsWith('✖')).toBe(true);
  });

  it('colours only when asked', () => {
    const view = { executionId: 'x-123', crawl: makeCrawl(), startedAt: 0 };
    const plain = renderCrawlBlock(view, { colors: createColors(false), frame: 0, now: 0 }).join('\n');
    const colored = renderCrawlBlock(view, { colors: createColors(true), frame: 0, now: 0 }).join('\n');
    expect(plain).not.toContain('\u001b[');
    expect(colored).toContain('\u001b[');
    expect(stripVTControlCharacters(colored)).toBe(plain);
  });
});

describe('LiveReporter on a fake TTY', () => {
  it('redraws in place, throttled, and ends with the final frame', () => {
    vi.useFakeTimers();
    let now = 1_000_000;
    const { out, stdout } = fakeOutput({ tty: true });
    const reporter = new LiveReporter(out, { createLogUpdate, intervalMs: 100, now: () => now });
    reporter.begin(['crawl-skims-com-4ddfa1c9']);
    const first = stdout.chunks.length;
    expect(first).toBeGreaterThan(0);
    expect(stripVTControlCharacters(stdout.text)).toContain('crawl-skims-com-4ddfa1c9');
    expect(stripVTControlCharacters(stdout.text)).toContain('waiting');

    // Many events within one frame are drawn once, by the next tick.
    for (let i = 0; i < 50; i++) {
      reporter.event(
        event(
          'progress',
          { progress: { collectionsFound: i, listingsFound: i * 10 } },
          makeCrawl({ progress: { collectionsFound: i, listingsFound: i * 10 } }),
        ),
      );
    }
    expect(stdout.chunks.length).toBe(first);
    now += 100;
    vi.advanceTimersByTime(100);
    expect(stdout.chunks.length).toBeLessThanOrEqual(first + 1);
    expect(stripVTControlCharacters(stdout.text)).toContain('49 collections, 490 listings');
    // In-place redraw: cursor moves up / erases lines.
    expect(stdout.text).toMatch(/\u001b\[\d*A|\u001b\[2K/);

    reporter.finish(finishFromResult(makeResult()));
    reporter.close(0);
    const after = stdout.chunks.length;
    vi.advanceTimersByTime(1000);
    expect(stdout.chunks.length).toBe(after); // timer stopped
    const text = stripVTControlCharacters(stdout.text);
    expect(text).toContain('completed in 32s: 45 collections, 1,200 listings');
    expect(text).toContain('4/4 steps');
  });

  it('shows several crawls, each in its own block', () => {
    vi.useFakeTimers();
    const { out, stdout } = fakeOutput({ tty: true });
    const reporter = new LiveReporter(out, { createLogUpdate, now: () => 0 });
    reporter.begin(['crawl-a-1234', 'crawl-b-5678']);
    reporter.event(
      event('status', { previous: 'pending', status: 'running' }, makeCrawl({ executionId: 'crawl-a-1234' })),
    );
    reporter.finish(
      finishFromError(
        'crawl-b-5678',
        new NotFoundError('No crawl crawl-b-5678', 'NOT_FOUND', { status: 404 }),
      ),
    );
    reporter.close(4);
    const text = stripVTControlCharacters(stdout.text);
    expect(text).toContain('crawl-a-1234');
    expect(text).toContain('crawl-b-5678');
    expect(text).toContain('No crawl crawl-b-5678');
    expect(text).toContain('catalog-crawl list');
  });

  it('switches to one line per crawl when the blocks would not fit the terminal', () => {
    vi.useFakeTimers();
    const { out, stdout } = fakeOutput({ tty: true });
    const reporter = new LiveReporter(out, { createLogUpdate, now: () => 0 });
    const ids = Array.from({ length: 8 }, (_, i) => `crawl-many-${i}-1234`);
    reporter.begin(ids);
    reporter.finish(finishFromResult(makeResult({ executionId: 'crawl-many-0-1234' })));
    reporter.close(0);
    const frame = stripVTControlCharacters(reporter.frameText());
    expect(frame.split('\n')).toHaveLength(8);
    expect(frame).toContain('✔ crawl-many-0-1234  completed');
    expect(frame).toContain('crawl-many-7-1234  waiting');
    expect(stdout.text).toContain('crawl-many-7-1234');
  });

  it('redacts the key even from crawl data', () => {
    vi.useFakeTimers();
    const { out, stdout } = fakeOutput({ tty: true, secrets: ['ck_live_CANARY_9f8e7d'] });
    const reporter = new LiveReporter(out, { createLogUpdate, now: () => 0 });
    reporter.begin(['crawl-a-1234']);
    reporter.event(
      event(
        'warning',
        { kind: 'retry', message: 'bad key ck_live_CANARY_9f8e7d' },
        makeCrawl({ executionId: 'crawl-a-1234' }),
      ),
    );
    vi.advanceTimersByTime(200);
    reporter.close(0);
    expect(stdout.text).not.toContain('ck_live_CANARY_9f8e7d');
    expect(stdout.text).toContain('bad key ***');
  });
});

describe('PlainReporter', () => {
  it('prints one line per change, with elapsed time and id, no escape codes', () => {
    const { out, stdout } = fakeOutput();
    const reporter = new PlainReporter(out);
    reporter.begin(['crawl-skims-com-4ddfa1c9']);
    reporter.event(event('status', { previous: 'pending', status: 'running' }));
    reporter.event(event('step_started', { step: 'Discovering collections', index: 1 }));
    reporter.event(
      event('step_finished', { step: 'Discovering collections', index: 1, status: 'completed' }),
    );
    reporter.event(event('progress', { progress: { collectionsFound: 12, listingsFound: 340 } }));
    reporter.event(event('warning', { kind: 'retry', message: 'retrying after a 503' }));
    reporter.finish(finishFromResult(makeResult()));
    reporter.close(0);
    const lines = stdout.text.trimEnd().split('\n');
    expect(lines).toEqual([
      ' 0:00 crawl-skims-com-4ddfa1c9  waiting',
      ' 0:12 crawl-skims-com-4ddfa1c9  status pending -> running',
      ' 0:12 crawl-skims-com-4ddfa1c9  step 2/4 started: Discovering collections',
      ' 0:12 crawl-skims-com-4ddfa1c9  step 2/4 completed: Discovering collections',
      ' 0:12 crawl-skims-com-4ddfa1c9  found 12 collections, 340 listings',
      ' 0:12 crawl-skims-com-4ddfa1c9  warning: retrying after a 503',
      ' 0:32 crawl-skims-com-4ddfa1c9  completed in 32s: 45 collections, 1,200 listings',
    ]);
    expect(stdout.text).not.toContain('\u001b');
  });

  it('prints a hint line after a timeout', () => {
    const { out, stdout } = fakeOutput();
    const reporter = new PlainReporter(out);
    const result = makeResult({ outcome: 'timed_out', crawl: makeCrawl(), elapsedMs: 120_000 });
    reporter.finish(finishFromResult(result, { timeoutMs: 120_000 }));
    expect(stdout.text).toContain('timed out after 2m, still running at step 2/4 Discovering collections');
    expect(stdout.text).toContain('catalog-crawl wait crawl-skims-com-4ddfa1c9');
  });
});

describe('cancels that found the crawl still pending (issue 12)', () => {
  const pending = makeCrawl({
    status: 'pending',
    stepStatuses: ['pending', 'pending', 'pending', 'pending'],
  });
  const notRunningYet = {
    executionId: pending.executionId,
    outcome: 'not_running_yet' as const,
    stopDate: null,
    status: 'pending',
    raw: undefined,
  };

  it('--cancel-on-timeout: still pending after --cancel-wait is said plainly, with the command to cancel it', () => {
    const result = makeResult({ outcome: 'timed_out', crawl: pending, cancel: notRunningYet });
    const finish = finishFromResult(result, { timeoutMs: 60_000 });
    expect(finish.exitCode).toBe(5);
    expect(finish.message).toBe(
      'timed out after 1m, still pending; not cancelled: it did not start within --cancel-wait (the API cancels only running crawls)',
    );
    expect(finish.hint).toContain(`catalog-crawl cancel ${pending.executionId} --when-running`);
  });

  it('--cancel-on-stall: cancelled, or not cancelled because still pending', () => {
    const canceled = { ...notRunningYet, outcome: 'canceled' as const };
    const stalled = finishFromResult(
      makeResult({ outcome: 'stalled', crawl: makeCrawl(), cancel: canceled }),
      {
        stallTimeoutMs: 600_000,
      },
    );
    expect(stalled.exitCode).toBe(7);
    expect(stalled.message).toMatch(
      /^stalled: no change for 10m.*; canceled the crawl \(--cancel-on-stall\)$/,
    );
    const still = finishFromResult(makeResult({ outcome: 'stalled', crawl: pending, cancel: notRunningYet }));
    expect(still.message).toMatch(/not cancelled: still pending/);
    expect(still.hint).toContain('--when-running');
  });

  it('Ctrl-C with --cancel-on-abort on a crawl still pending: exit 130, not cancelled, how to', () => {
    const error = Object.assign(new AbortedError('aborted'), { crawl: pending, cancel: notRunningYet });
    const finish = finishFromError(pending.executionId, error, { signalName: 'SIGINT' });
    expect(finish.exitCode).toBe(130);
    expect(finish.message).toMatch(/still pending after --cancel-wait, so it was not cancelled/);
    expect(finish.hint).toContain(`catalog-crawl cancel ${pending.executionId} --when-running`);
  });
});

describe('JsonReporter', () => {
  it('prints one JSON object per line: events, results, then a summary for several ids', () => {
    const { out, stdout } = fakeOutput();
    const reporter = new JsonReporter(out);
    reporter.begin(['crawl-skims-com-4ddfa1c9', 'crawl-b-5678']);
    reporter.event(event('step_started', { step: 'Discovering collections', index: 1 }));
    reporter.finish(finishFromResult(makeResult()));
    reporter.finish(
      finishFromError(
        'crawl-b-5678',
        new NotFoundError('gone', 'NOT_FOUND', { status: 404, requestId: 'req_1' }),
      ),
    );
    reporter.close(4);
    const objects = stdout.text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(objects.map((o) => o.type)).toEqual(['step_started', 'result', 'result', 'summary']);
    expect(objects[0]).toMatchObject({
      step: 'Discovering collections',
      index: 1,
      crawl: { status: 'running' },
    });
    expect(objects[0].crawl.raw).toBeUndefined();
    expect(objects[1]).toMatchObject({
      outcome: 'completed',
      exitCode: 0,
      crawl: { result: { listingsTotal: 1200 } },
    });
    expect(objects[2]).toMatchObject({
      exitCode: 4,
      error: { name: 'NotFoundError', status: 404, requestId: 'req_1' },
    });
    expect(objects[3]).toMatchObject({ exitCode: 4, results: [{ exitCode: 0 }, { exitCode: 4 }] });
  });

  it('has no summary line for a single id', () => {
    const { out, stdout } = fakeOutput();
    const reporter = new JsonReporter(out);
    reporter.begin(['crawl-skims-com-4ddfa1c9']);
    reporter.finish(finishFromResult(makeResult()));
    reporter.close(0);
    const objects = stdout.text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(objects.map((o) => o.type)).toEqual(['result']);
  });
});
