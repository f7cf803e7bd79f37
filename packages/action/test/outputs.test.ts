import { formatDuration as formatMs, NotFoundError } from '@catalog-crawl/core';
import { describe, expect, it } from 'vitest';
import { buildOutputs, OUTPUT_NAMES } from '../src/outputs.js';
import { type ActionReport, outcomeMessage, toReportError, vendorFromUrl } from '../src/report.js';
import { completedCrawl, crawl, history } from './fixtures.js';

describe('buildOutputs', () => {
  it('maps a completed crawl to every output', () => {
    const report: ActionReport = {
      outcome: 'completed',
      executionId: 'crawl-skims-com-a1b2c3d4',
      crawl: completedCrawl(),
      history: history(),
      elapsedMs: 590_000,
    };
    const outputs = buildOutputs(report);
    expect(Object.keys(outputs)).toEqual([...OUTPUT_NAMES]);
    expect(outputs).toEqual({
      'execution-id': 'crawl-skims-com-a1b2c3d4',
      outcome: 'completed',
      status: 'completed',
      error: '',
      vendor: 'skims.com',
      'collections-found': '12',
      'listings-found': '1234',
      'collections-total': '40',
      'listings-total': '5000',
      'duration-ms': '600000',
      'started-at': '2025-01-02T03:04:05.000Z',
      'stopped-at': '2025-01-02T03:14:05.000Z',
      result: JSON.stringify({ execution_id: 'crawl-skims-com-a1b2c3d4', status: 'completed' }),
      crawls: JSON.stringify([
        {
          executionId: 'crawl-skims-com-a1b2c3d4',
          url: null,
          vendor: 'skims.com',
          outcome: 'completed',
          status: 'completed',
          error: null,
          collectionsFound: 12,
          listingsFound: 1234,
          collectionsTotal: 40,
          listingsTotal: 5000,
          durationMs: 600000,
          startedAt: '2025-01-02T03:04:05.000Z',
          stoppedAt: '2025-01-02T03:14:05.000Z',
          startRetries: 0,
          results: null,
        },
      ]),
      counts: JSON.stringify({
        total: 1,
        completed: 1,
        started: 0,
        canceled: 0,
        stalled: 0,
        timed_out: 0,
        failed: 0,
        error: 0,
      }),
      'results-path': '',
      'results-count': '',
    });
  });

  it('sets every output, empty, on an error before any request', () => {
    const outputs = buildOutputs({
      outcome: 'error',
      elapsedMs: 3,
      error: { message: 'Input "timeout": bad' },
    });
    expect(Object.keys(outputs)).toEqual([...OUTPUT_NAMES]);
    expect(outputs.outcome).toBe('error');
    expect(outputs.error).toBe('Input "timeout": bad');
    expect(outputs.result).toBe('null');
    expect(outputs['execution-id']).toBe('');
  });

  it('uses the POST status and the url vendor before any poll (wait: false)', () => {
    const outputs = buildOutputs({
      outcome: 'started',
      executionId: 'crawl-a-1',
      status: 'pending',
      vendor: 'a.com',
      elapsedMs: 10,
    });
    expect(outputs).toMatchObject({ outcome: 'started', status: 'pending', vendor: 'a.com', error: '' });
  });
});

describe('outcomeMessage', () => {
  it('explains each outcome', () => {
    const failed = crawl({ status: 'failed', error: 'Extraction failed: site blocked' });
    expect(outcomeMessage({ outcome: 'failed', crawl: failed, elapsedMs: 1 })).toBe(
      'Extraction failed: site blocked',
    );
    expect(outcomeMessage({ outcome: 'timed_out', crawl: crawl(), elapsedMs: 1, timeoutMs: 600_000 })).toBe(
      'Timed out after 10m while the crawl was running. The crawl keeps running; wait for it again with execution-id.',
    );
    expect(
      outcomeMessage({
        outcome: 'timed_out',
        crawl: crawl(),
        elapsedMs: 1,
        timeoutMs: 60_000,
        cancel: { outcome: 'canceled' },
      }),
    ).toMatch(/cancelled \(cancel-on-timeout\)/);
    expect(outcomeMessage({ outcome: 'stalled', elapsedMs: 1, stallTimeoutMs: 120_000 })).toMatch(
      /No progress for 2m/,
    );
    expect(
      outcomeMessage({
        outcome: 'canceled',
        signal: 'SIGINT',
        elapsedMs: 1,
        cancel: { outcome: 'canceled' },
      }),
    ).toBe('The step was interrupted (SIGINT); the crawl was cancelled.');
    expect(outcomeMessage({ outcome: 'canceled', signal: 'SIGTERM', elapsedMs: 1 })).toMatch(
      /post step retries/,
    );
    expect(
      outcomeMessage({ outcome: 'canceled', signal: 'SIGINT', elapsedMs: 1, cancel: { outcome: 'skipped' } }),
    ).toMatch(/left running/);
    const notFound = new NotFoundError('Crawl crawl-x-1 not found', 'NOT_FOUND', {
      status: 404,
      requestId: 'req_1',
    });
    expect(outcomeMessage({ outcome: 'error', elapsedMs: 1, error: toReportError(notFound) })).toBe(
      'Crawl crawl-x-1 not found (HTTP 404, request id req_1)',
    );
  });
});

describe('helpers', () => {
  it('vendorFromUrl', () => {
    expect(vendorFromUrl('skims.com')).toBe('skims.com');
    expect(vendorFromUrl('https://www.skims.com/shop?x=1')).toBe('www.skims.com');
  });
  it('formatMs is core formatDuration (one rule for every face)', () => {
    expect(formatMs(250)).toBe('250ms');
    expect(formatMs(1500)).toBe('1.5s');
    expect(formatMs(42_000)).toBe('42s');
    expect(formatMs(90_000)).toBe('1m30s');
    expect(formatMs(5_400_000)).toBe('1h30m');
    expect(formatMs(3_600_000)).toBe('1h');
  });
});
