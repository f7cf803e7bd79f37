import { InvalidInputError } from '@catalog-crawl/core';
import { describe, expect, it } from 'vitest';
import { parseDurationInput, parseFailOn, parseInputs } from '../src/inputs.js';
import { CANARY } from './fixtures.js';

const reader = (values: Record<string, string>) => (name: string) => values[name] ?? '';

function inputError(values: Record<string, string>): InvalidInputError {
  try {
    parseInputs(reader(values));
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).not.toContain(CANARY);
    return error as InvalidInputError;
  }
  throw new Error('expected an InvalidInputError');
}

describe('parseInputs', () => {
  it('applies the action.yml defaults', () => {
    const inputs = parseInputs(reader({ 'api-key': CANARY, url: 'skims.com' }));
    expect(inputs).toEqual({
      apiKey: CANARY,
      baseUrl: 'https://api.getcatalog.ai',
      urls: ['skims.com'],
      executionIds: [],
      wait: true,
      timeoutMs: 3_600_000,
      minIntervalMs: 10_000,
      maxIntervalMs: 30_000,
      cancelOnAbort: true,
      cancelOnTimeout: false,
      cancelOnStall: false,
      cancelWaitMs: 120_000,
      failOn: ['failed', 'canceled', 'timed_out', 'stalled'],
      summary: true,
      githubToken: '',
      commentOnPr: false,
      results: 'none',
      resultsFormat: 'jsonl',
      resultsPath: 'catalog-results',
    });
  });

  it('parses every input', () => {
    const inputs = parseInputs(
      reader({
        'api-key': ` ${CANARY} `,
        'api-base-url': 'http://127.0.0.1:8787/',
        'execution-id': ' crawl-skims-com-a1b2c3d4 ',
        timeout: '1h30m',
        'min-interval': '2s',
        'max-interval': '1m',
        'stall-timeout': '15m',
        'cancel-on-abort': 'false',
        'cancel-on-timeout': 'True',
        'fail-on': 'failed, timed-out',
        summary: 'FALSE',
        'github-token': 'ghs_token',
        'comment-on-pr': 'true',
      }),
    );
    expect(inputs).toMatchObject({
      apiKey: CANARY,
      baseUrl: 'http://127.0.0.1:8787',
      executionIds: ['crawl-skims-com-a1b2c3d4'],
      timeoutMs: 5_400_000,
      minIntervalMs: 2_000,
      maxIntervalMs: 60_000,
      stallTimeoutMs: 900_000,
      cancelOnAbort: false,
      cancelOnTimeout: true,
      failOn: ['failed', 'timed_out'],
      summary: false,
      githubToken: 'ghs_token',
      commentOnPr: true,
    });
    expect(inputs.urls).toEqual([]);
  });

  it('requires the api key', () => {
    const error = inputError({ url: 'skims.com' });
    expect(error.field).toBe('api-key');
    expect(error.message).toMatch(/Input "api-key": is required.*secrets\.CATALOG_API_KEY/);
  });

  it('rejects a key with a second line or spaces, and a base URL with a query, without quoting them', () => {
    const key = inputError({ 'api-key': `${CANARY}\nX-Evil: 1`, url: 'a.com' });
    expect(key.field).toBe('api-key');
    expect(key.message).toMatch(/contains spaces, control or non-ASCII characters/);
    const base = inputError({ 'api-key': CANARY, url: 'a.com', 'api-base-url': 'http://127.0.0.1:1/?x=1' });
    expect(base.message).toMatch(/must not contain credentials, a query or a fragment/);
  });

  it('rejects both url and execution-id', () => {
    const error = inputError({ 'api-key': CANARY, url: 'skims.com', 'execution-id': 'crawl-x-1' });
    expect(error.message).toMatch(/"url" and "execution-id" are both set/);
  });

  it('rejects neither url nor execution-id', () => {
    expect(inputError({ 'api-key': CANARY }).message).toMatch(/Neither "url" nor "execution-id" is set/);
  });

  it('rejects an invalid execution id and url before any request', () => {
    const id = inputError({ 'api-key': CANARY, 'execution-id': 'crawl/../x' });
    expect(id.field).toBe('execution-id');
    expect(id.message).toMatch(/^Input "execution-id": .*slash/);
    const url = inputError({ 'api-key': CANARY, url: 'ftp://skims.com' });
    expect(url.field).toBe('url');
    expect(url.message).toMatch(/^Input "url": /);
  });

  it.each([
    ['timeout', '90'],
    ['min-interval', '10'],
    ['max-interval', '30'],
    ['stall-timeout', '600'],
  ])('rejects a bare number for %s and asks for a unit', (name, value) => {
    const error = inputError({ 'api-key': CANARY, url: 'skims.com', [name]: value });
    expect(error.field).toBe(name);
    expect(error.message).toContain(`Input "${name}"`);
    expect(error.message).toMatch(/unit/);
    expect(error.message).toContain(`${value}s`);
  });

  it('rejects junk durations with the core message', () => {
    const error = inputError({ 'api-key': CANARY, url: 'skims.com', timeout: 'soon' });
    expect(error.message).toMatch(/^Input "timeout": .*not a duration/);
  });

  it('checks the interval bounds', () => {
    expect(inputError({ 'api-key': CANARY, url: 'a.com', 'min-interval': '500ms' }).message).toMatch(
      /at least 1s/,
    );
    expect(
      inputError({ 'api-key': CANARY, url: 'a.com', 'min-interval': '20s', 'max-interval': '10s' }).message,
    ).toMatch(/max-interval.*at least min-interval/);
  });

  it('rejects bad booleans, base URLs and wait: false with an id', () => {
    expect(inputError({ 'api-key': CANARY, url: 'a.com', wait: 'yes' }).message).toMatch(
      /Input "wait": expected true or false, got "yes"/,
    );
    expect(inputError({ 'api-key': CANARY, url: 'a.com', 'api-base-url': 'api.example' }).field).toBe(
      'api-base-url',
    );
    expect(inputError({ 'api-key': CANARY, url: 'a.com', 'api-base-url': 'ftp://x.example' }).field).toBe(
      'api-base-url',
    );
    expect(inputError({ 'api-key': CANARY, 'execution-id': 'crawl-a-1', wait: 'false' }).field).toBe('wait');
  });

  it('needs a token for comment-on-pr', () => {
    expect(inputError({ 'api-key': CANARY, url: 'a.com', 'comment-on-pr': 'true' }).field).toBe(
      'github-token',
    );
  });
});

describe('parseFailOn', () => {
  it('accepts lists, spellings and none', () => {
    expect(parseFailOn('failed,canceled')).toEqual(['failed', 'canceled']);
    expect(parseFailOn(' stalled  timed-out cancelled ')).toEqual(['stalled', 'timed_out', 'canceled']);
    expect(parseFailOn('none')).toEqual([]);
  });

  it('rejects unknown outcomes with the list of valid ones', () => {
    expect(() => parseFailOn('failed,bogus')).toThrow(
      /unknown outcome "bogus".*failed, canceled, timed_out, stalled/,
    );
    expect(() => parseFailOn('error')).toThrow(/always fails the step/);
    expect(() => parseFailOn('completed')).toThrow(/never fails/);
  });
});

describe('parseDurationInput', () => {
  it('accepts durations with units', () => {
    expect(parseDurationInput('timeout', '90s')).toBe(90_000);
    expect(parseDurationInput('timeout', '15m')).toBe(900_000);
    expect(parseDurationInput('timeout', '2h')).toBe(7_200_000);
    expect(parseDurationInput('timeout', '1h30m')).toBe(5_400_000);
  });
});

describe('results inputs', () => {
  const base = { 'api-key': CANARY, url: 'skims.com' };
  it('reads results, results-format and results-path', () => {
    const inputs = parseInputs(
      reader({ ...base, results: 'ALL', 'results-format': 'CSV', 'results-path': 'out/results' }),
    );
    expect(inputs).toMatchObject({ results: 'all', resultsFormat: 'csv', resultsPath: 'out/results' });
  });

  it('rejects an unknown choice or format, and results without waiting', () => {
    expect(inputError({ ...base, results: 'products' }).message).toBe(
      'Input "results": unknown value "products". Use one of none, listings, collections, all.',
    );
    const format = inputError({ ...base, results: 'listings', 'results-format': 'xml' });
    expect(format.field).toBe('results-format');
    expect(format.message).toMatch(/^Input "results-format": .*jsonl, csv, json/);
    expect(inputError({ ...base, results: 'listings', wait: 'false' }).message).toMatch(
      /^Input "results": "listings" needs wait: true/,
    );
  });
});
