import { describe, expect, it } from 'vitest';
import {
  type Crawl,
  currentStep,
  InvalidInputError,
  isTerminalStatus,
  validateApiKey,
  validateBaseUrl,
  validateCrawlUrl,
  validateExecutionId,
} from '../src/index.js';

function crawlWith(statuses: string[]): Crawl {
  const names = [
    'Determining crawl method',
    'Discovering collections',
    'Analyzing collections',
    'Extracting listings',
  ];
  return {
    executionId: 'x',
    status: 'running',
    error: null,
    steps: statuses.map((status, i) => ({ name: names[i] ?? `step ${i}`, status })),
    raw: {},
  };
}

describe('validateExecutionId', () => {
  it('accepts ids and trims surrounding whitespace', () => {
    expect(validateExecutionId('crawl-skims-com-a1b2c3d4')).toBe('crawl-skims-com-a1b2c3d4');
    expect(validateExecutionId('  crawl-skims-com-a1b2c3d4\n')).toBe('crawl-skims-com-a1b2c3d4');
    expect(validateExecutionId('a'.repeat(200))).toHaveLength(200);
    expect(validateExecutionId('crawl.with.dots')).toBe('crawl.with.dots');
    expect(validateExecutionId('100%-done')).toBe('100%-done');
  });

  it.each([
    ['', 'is empty'],
    ['   ', 'is empty'],
    ['crawl skims', 'whitespace'],
    ['crawl\tskims', 'control character'],
    ['crawl/skims', 'slash'],
    ['crawl\\skims', 'slash'],
    ['https://api.getcatalog.ai/v2/crawl/x', 'slash'],
    ['crawl?x=1', "'?' or '#'"],
    ['crawl#x', "'?' or '#'"],
    ['..', "'..'"],
    ['a..b', "'..'"],
    ['.', "'..'"],
    ['crawl%2fx', 'percent-encoded'],
    ['crawl%2Fx', 'percent-encoded'],
    ['crawl%5cx', 'percent-encoded'],
    ['%2e%2e', 'percent-encoded'],
    ['crawl%00', 'percent-encoded'],
    ['crawl\u0000x', 'control character'],
    ['crawl\u007fx', 'control character'],
    ['crawl\u00a0x', 'whitespace'],
    ['a'.repeat(201), 'at most 200'],
  ])('rejects %j (%s)', (id, why) => {
    let caught: unknown;
    try {
      validateExecutionId(id);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidInputError);
    expect((caught as InvalidInputError).field).toBe('executionId');
    expect((caught as Error).message).toContain(why);
  });

  it('rejects non-strings', () => {
    expect(() => validateExecutionId(undefined)).toThrow('must be a string');
    expect(() => validateExecutionId(42)).toThrow('must be a string');
  });
});

describe('validateCrawlUrl', () => {
  it.each([
    'skims.com',
    'https://skims.com',
    'http://skims.com/shop?x=1',
    'www.skims.com/collections',
    'fast-3.example',
    'localhost:3000',
    'shop.example:8080/path',
    'http://127.0.0.1:8080',
    'https://[::1]:8443',
    'xn--80ak6aa92e.com',
  ])('accepts %s', (url) => {
    expect(validateCrawlUrl(`  ${url} `)).toBe(url);
  });

  it.each([
    ['', 'is empty'],
    ['skims .com', 'whitespace'],
    ['skims.com\n/x', 'control character'],
    ['ftp://skims.com', 'only http and https'],
    ['javascript:alert(1)', 'only http and https'],
    ['mailto:a@b.com', 'only http and https'],
    ['https://', 'not a valid'],
    ['skims', 'plausible host'],
    ['https://user:pw@skims.com', 'user name or password'],
    ['http://999.1.1.1', 'not a valid'],
    ['skims.c0m', 'plausible host'],
  ])('rejects %j (%s)', (url, why) => {
    let caught: unknown;
    try {
      validateCrawlUrl(url);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidInputError);
    expect((caught as InvalidInputError).field).toBe('url');
    expect((caught as Error).message).toContain(why);
  });
});

describe('isTerminalStatus', () => {
  it('treats only completed and failed as terminal', () => {
    expect(isTerminalStatus('completed')).toBe(true);
    expect(isTerminalStatus('failed')).toBe(true);
    expect(isTerminalStatus('pending')).toBe(false);
    expect(isTerminalStatus('running')).toBe(false);
    expect(isTerminalStatus('paused')).toBe(false);
  });
});

describe('currentStep', () => {
  it('returns the running step', () => {
    expect(currentStep(crawlWith(['completed', 'running', 'pending', 'pending']))?.index).toBe(1);
  });
  it('returns the first pending step after the last completed one', () => {
    expect(currentStep(crawlWith(['completed', 'completed', 'pending', 'pending']))?.index).toBe(2);
    expect(currentStep(crawlWith(['pending', 'pending', 'pending', 'pending']))?.index).toBe(0);
  });
  it('returns undefined when everything is done or there are no steps', () => {
    expect(currentStep(crawlWith(['completed', 'completed', 'completed', 'completed']))).toBeUndefined();
    expect(currentStep(crawlWith([]))).toBeUndefined();
  });
});

describe('validateApiKey and validateBaseUrl', () => {
  it('name the source of the value and never quote the key', () => {
    expect(validateApiKey('  ck_live_x  ')).toBe('ck_live_x');
    expect(() => validateApiKey('', 'Input "api-key":')).toThrow('Input "api-key": is empty');
    const error = (() => {
      try {
        validateApiKey('ck_live_SECRET\nX-Evil: 1');
      } catch (e) {
        return e as InvalidInputError;
      }
    })();
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error?.field).toBe('apiKey');
    expect(error?.message).not.toContain('SECRET');
  });

  it('accept http(s) base URLs without a trailing slash, and reject the rest', () => {
    expect(validateBaseUrl('http://127.0.0.1:8787/')).toBe('http://127.0.0.1:8787');
    expect(validateBaseUrl(' https://api.getcatalog.ai/v0/ ')).toBe('https://api.getcatalog.ai/v0');
    expect(() => validateBaseUrl('not a url')).toThrow('is not a URL');
    expect(() => validateBaseUrl('ftp://x', '--base-url')).toThrow('--base-url must be an http(s) URL');
    expect(() => validateBaseUrl('http://u:p@x.test')).toThrow('must not contain credentials');
    expect(() => validateBaseUrl('http://x.test/?a=1')).toThrow(InvalidInputError);
  });
});
