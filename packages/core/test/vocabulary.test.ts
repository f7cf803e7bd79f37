import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Crawl,
  crawlDurationMs,
  crawlOutcome,
  crawlPosition,
  formatCount,
  formatCountOf,
  formatCounts,
  formatPosition,
  formatStep,
  InvalidInputError,
  isCanceledCrawl,
  isTerminalStatus,
  progressFraction,
  readEnv,
  validateWaitOptions,
  WAIT_DEFAULTS,
} from '../src/index.js';

const NAMES = [
  'Determining crawl method',
  'Discovering collections',
  'Analyzing collections',
  'Extracting listings',
];
function crawlWith(status: string, stepStatuses: string[], extra: Partial<Crawl> = {}): Crawl {
  return {
    executionId: 'crawl-1',
    status,
    error: null,
    steps: stepStatuses.map((s, i) => ({ name: NAMES[i] ?? `step ${i}`, status: s })),
    raw: {},
    ...extra,
  };
}

describe('validateWaitOptions', () => {
  it('fills in the defaults: 10 s / 30 s / 60 min', () => {
    expect(validateWaitOptions({})).toMatchObject({
      timeoutMs: 3_600_000,
      minIntervalMs: 10_000,
      maxIntervalMs: 30_000,
      stallTimeoutMs: undefined,
    });
    expect(WAIT_DEFAULTS).toMatchObject({
      timeoutMs: 3_600_000,
      minIntervalMs: 10_000,
      maxIntervalMs: 30_000,
    });
    // A larger minimum lifts the default maximum with it.
    expect(validateWaitOptions({ minIntervalMs: 45_000 }).maxIntervalMs).toBe(45_000);
  });

  it('enforces the floors and the order, naming options the way the face does', () => {
    const label = (f: string) => `--${f}`;
    const floor = (() => {
      try {
        validateWaitOptions({ minIntervalMs: 500 }, label);
      } catch (e) {
        return e as InvalidInputError;
      }
    })();
    expect(floor).toBeInstanceOf(InvalidInputError);
    expect(floor).toMatchObject({ field: 'minIntervalMs' });
    expect(floor!.message).toBe(
      '--minIntervalMs must be at least 1s (the API asks clients not to poll faster)',
    );
    expect(floor!.reason).toBe('must be at least 1s (the API asks clients not to poll faster)');
    expect(() => validateWaitOptions({ minIntervalMs: 20_000, maxIntervalMs: 10_000 }, label)).toThrow(
      '--maxIntervalMs must be at least --minIntervalMs (20s)',
    );
    expect(() => validateWaitOptions({ timeoutMs: 0 })).toThrow(InvalidInputError);
    expect(() => validateWaitOptions({ stallTimeoutMs: Number.NaN })).toThrow(/number of milliseconds/);
    expect(() => validateWaitOptions({ notFoundGraceMs: -1 })).toThrow(/must not be negative/);
  });
});

describe('statuses and outcomes', () => {
  it('tells a cancelled crawl from a failed one', () => {
    expect(crawlOutcome(crawlWith('failed', [], { error: 'Crawl was cancelled by the user' }))).toBe(
      'canceled',
    );
    expect(crawlOutcome(crawlWith('failed', [], { error: 'Aborted' }))).toBe('canceled');
    expect(crawlOutcome(crawlWith('failed', [], { error: 'Extraction timed out' }))).toBe('failed');
    expect(crawlOutcome(crawlWith('canceled', []))).toBe('canceled');
    expect(crawlOutcome(crawlWith('cancelled', []))).toBe('canceled');
    expect(crawlOutcome(crawlWith('completed', []))).toBe('completed');
    expect(crawlOutcome(crawlWith('running', []))).toBeUndefined();
    expect(crawlOutcome(crawlWith('processing', []))).toBeUndefined();
    expect(isCanceledCrawl(undefined)).toBe(false);
    expect(isTerminalStatus('cancelled')).toBe(true);
    expect(isTerminalStatus('queued')).toBe(false);
  });
});

describe('formatting vocabulary', () => {
  it('says where the crawl is: step n/4, name, counts', () => {
    const c = crawlWith('running', ['completed', 'running', 'pending', 'pending'], {
      progress: { collectionsFound: 1, listingsFound: 12_345 },
    });
    expect(formatStep(c)).toBe('step 2/4 Discovering collections');
    expect(formatCounts(c)).toBe('1 collection, 12,345 listings so far');
    expect(formatPosition(c)).toBe(
      'running, step 2/4 Discovering collections, 1 collection, 12,345 listings so far',
    );
    expect(crawlPosition(undefined)).toEqual(['not seen yet']);
    const done = crawlWith('completed', ['completed', 'completed', 'completed', 'completed'], {
      result: { collectionsTotal: 88, listingsTotal: 11_507 },
      progress: { collectionsFound: 80, listingsFound: 11_000 },
    });
    expect(formatPosition(done, ' · ')).toBe(
      'completed · 88 collections · 11,507 listings'.replace(' · 11', ', 11'),
    );
    const failed = crawlWith('failed', ['completed', 'failed', 'pending', 'pending'], { error: 'boom' });
    expect(formatPosition(failed)).toBe('failed, step 2/4 Discovering collections');
    expect(formatCountOf(0, 'listing')).toBe('0 listings');
  });

  it('progress fraction: grows with steps and counts, 1 only when completed', () => {
    const at = (done: number, found = 0) =>
      progressFraction(
        crawlWith(
          'running',
          NAMES.map((_, i) => (i < done ? 'completed' : i === done ? 'running' : 'pending')),
          {
            progress: { collectionsFound: 0, listingsFound: found },
          },
        ),
      );
    expect(at(0)).toBe(0);
    expect(at(1)).toBe(0.25);
    expect(at(1, 300)).toBeGreaterThan(at(1));
    expect(at(1, 1e9)).toBeLessThan(0.5);
    expect(progressFraction(crawlWith('completed', []))).toBe(1);
    expect(progressFraction(crawlWith('failed', ['completed', 'failed', 'pending', 'pending']))).toBe(0.5);
    expect(progressFraction(undefined)).toBe(0);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 }), fc.nat(), (done, found) => {
        const f = at(done, found);
        expect(f).toBeGreaterThanOrEqual(done / 4);
        expect(f).toBeLessThan((done + 1) / 4);
      }),
    );
  });

  it('crawl duration from duration_ms, else the dates', () => {
    expect(crawlDurationMs({ durationMs: 90_500 })).toBe(90_500);
    expect(crawlDurationMs({ startDate: '2026-01-01T00:00:00Z', stopDate: '2026-01-01T00:01:30Z' })).toBe(
      90_000,
    );
    expect(
      crawlDurationMs(
        { startDate: '2026-01-01T00:00:00Z', stopDate: null },
        Date.parse('2026-01-01T00:00:10Z'),
      ),
    ).toBe(10_000);
    expect(crawlDurationMs({ startDate: 'nonsense' })).toBeUndefined();
    expect(crawlDurationMs({})).toBeUndefined();
  });
});

describe('readEnv', () => {
  it('trims, and treats blank as unset', () => {
    expect(readEnv({ CATALOG_API_KEY: ' k ', CATALOG_API_BASE_URL: '' })).toEqual({
      apiKey: 'k',
      baseUrl: undefined,
    });
    expect(readEnv({})).toEqual({ apiKey: undefined, baseUrl: undefined });
  });
});

describe('formatCount', () => {
  it('groups whole numbers exactly as Intl.NumberFormat en-US does, without loading it', () => {
    const intl = new Intl.NumberFormat('en-US');
    fc.assert(
      fc.property(
        fc.maxSafeInteger().filter((n) => Number.isSafeInteger(n)),
        (n) => {
          expect(formatCount(n)).toBe(intl.format(n));
        },
      ),
    );
    for (const n of [0, 7, 999, 1000, 12_345, 1_000_000, -1234, Number.MAX_SAFE_INTEGER]) {
      expect(formatCount(n)).toBe(intl.format(n));
    }
  });

  it('other numbers go through Intl', () => {
    expect(formatCount(1234.5678)).toBe('1,234.568');
    expect(formatCount(Number.NaN)).toBe('NaN');
  });
});
