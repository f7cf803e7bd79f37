import {
  AuthError,
  type Crawl,
  createRedactor,
  InvalidInputError,
  NotFoundError,
  RateLimitError,
  ServerError,
} from '@catalog-crawl/core';
import { describe, expect, it } from 'vitest';
import { redactDeep } from '../src/context.js';
import { describeError, missingKeyError } from '../src/errors.js';
import {
  crawlStatus,
  isCancelledCrawl,
  ProgressCounter,
  progressMessage,
  progressValue,
  resourceUri,
  statusText,
} from '../src/format.js';

function crawl(partial: Partial<Crawl>): Crawl {
  return { executionId: 'crawl-x-example-1', status: 'running', error: null, steps: [], raw: {}, ...partial };
}

const STEPS = [
  'Determining crawl method',
  'Discovering collections',
  'Analyzing collections',
  'Extracting listings',
];

describe('progressValue', () => {
  it('grows with steps and counts and reaches total when finished', () => {
    const steps = (done: number) =>
      STEPS.map((name, i) => ({ name, status: i < done ? 'completed' : i === done ? 'running' : 'pending' }));
    const a = progressValue(crawl({ steps: steps(0) }));
    const b = progressValue(crawl({ steps: steps(1), progress: { collectionsFound: 0, listingsFound: 0 } }));
    const c = progressValue(
      crawl({ steps: steps(1), progress: { collectionsFound: 10, listingsFound: 300 } }),
    );
    const d = progressValue(
      crawl({ steps: steps(3), progress: { collectionsFound: 1e6, listingsFound: 1e7 } }),
    );
    const e = progressValue(crawl({ status: 'completed', steps: steps(4) }));
    expect(a.total).toBe(4);
    expect(a.progress).toBeLessThan(b.progress);
    expect(b.progress).toBeLessThan(c.progress);
    expect(c.progress).toBeLessThan(2);
    expect(d.progress).toBeLessThan(4);
    expect(e.progress).toBe(4);
  });
});

describe('ProgressCounter', () => {
  it('is strictly increasing even when the input is not', () => {
    const counter = new ProgressCounter();
    const values = [0, 0, 1.5, 1.2, 1.5, 3, 3].map((v) => counter.next(v));
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThan(values[i - 1]!);
  });
});

describe('resourceUri and isCancelledCrawl', () => {
  it('encodes the id and detects cancellation', () => {
    expect(resourceUri('crawl-a b')).toBe('catalog-crawl://crawls/crawl-a%20b');
    expect(isCancelledCrawl({ status: 'failed', error: 'Crawl was cancelled by request' })).toBe(true);
    expect(isCancelledCrawl({ status: 'failed', error: 'Extraction failed' })).toBe(false);
  });
});

describe('describeError', () => {
  const ctx = { action: 'read the crawl status', executionId: 'crawl-x-1' };
  it('says what to do next for each failure kind', () => {
    expect(describeError(new AuthError('Invalid API key', 'UNAUTHORIZED', { status: 401 }), ctx)).toMatch(
      /rejected the API key \(HTTP 401\).*CATALOG_API_KEY/,
    );
    expect(
      describeError(new NotFoundError('nope', 'NOT_FOUND', { status: 404, requestId: 'req_1' }), ctx),
    ).toMatch(/No crawl crawl-x-1 .*list_crawls.*request id req_1/);
    expect(describeError(new RateLimitError('slow down', { status: 429, retryAfterMs: 3_000 }), ctx)).toMatch(
      /HTTP 429.*Wait about 3 s/,
    );
    expect(describeError(new ServerError('boom', 'SERVER_ERROR', { status: 503 }), ctx)).toMatch(
      /HTTP 503.*try again/,
    );
    expect(describeError(new InvalidInputError('executionId', 'contains "/".'), ctx)).toMatch(
      /^Invalid execution_id/,
    );
    expect(describeError(missingKeyError(false), ctx)).toMatch(/CATALOG_API_KEY/);
    expect(describeError(missingKeyError(true), ctx)).toMatch(/x-catalog-api-key/);
  });
});

describe('crawlStatus and the texts', () => {
  const steps = (statuses: string[]) => STEPS.map((name, i) => ({ name, status: statuses[i] ?? 'pending' }));

  it('maps a running crawl to a small status block with a next step', () => {
    const out = crawlStatus(
      crawl({
        vendor: 'x.example',
        steps: steps(['completed', 'running']),
        progress: { collectionsFound: 12, listingsFound: 1_340 },
        startDate: '2026-01-01T00:00:00.000Z',
        durationMs: 200_400,
        raw: { huge: 'x'.repeat(10_000) },
      }),
    );
    expect(out).toMatchObject({
      status: 'running',
      finished: false,
      current_step: { name: 'Discovering collections', number: 2, of: 4 },
      progress: { collections_found: 12, listings_found: 1_340 },
      elapsed_seconds: 200.4,
    });
    expect(out.suggested_poll_interval_seconds).toBeGreaterThan(0);
    expect(JSON.stringify(out)).not.toContain('xxxx');
    expect(statusText(out)).toBe(
      `Crawl crawl-x-example-1: running · step 2/4 Discovering collections · 12 collections, 1,340 listings so far · 3m20s.\nNext: ${out.next_step}`,
    );
    expect(progressMessage(crawl({ steps: steps(['completed', 'running']) }))).toMatch(
      /^running · step 2\/4 Discovering collections/,
    );
  });

  it('says when a crawl failed, where, and that it was cancelled', () => {
    const failed = crawlStatus(
      crawl({
        status: 'failed',
        error: 'Extraction timed out',
        steps: steps(['completed', 'completed', 'completed', 'failed']),
      }),
    );
    expect(failed).toMatchObject({
      finished: true,
      suggested_poll_interval_seconds: 0,
      error: 'Extraction timed out',
    });
    expect(statusText(failed)).toMatch(
      /: failed · failed in Extracting listings\.\nError: Extraction timed out\nNext: The crawl failed/,
    );
    const cancelled = crawlStatus(
      crawl({
        status: 'failed',
        error: 'Crawl was cancelled by request',
        steps: steps(['completed', 'failed']),
      }),
    );
    expect(statusText(cancelled)).toMatch(/: failed \(cancelled\) · stopped in Discovering collections\./);
    expect(cancelled.next_step).toMatch(/was cancelled/);
  });
});

describe('redactDeep', () => {
  it('redacts every string of a structured result, keeping its shape', () => {
    const ctx = { redact: createRedactor(['ck_live_CANARY_9f8e7d']) };
    const value = {
      vendor: 'ck_live_CANARY_9f8e7d.example',
      steps: [{ name: 'x ck_live_CANARY_9f8e7d', status: 'running' }],
      counts: { listings: 3 },
      error: null,
    };
    expect(redactDeep(ctx, value)).toEqual({
      vendor: '***.example',
      steps: [{ name: 'x ***', status: 'running' }],
      counts: { listings: 3 },
      error: null,
    });
  });
});
