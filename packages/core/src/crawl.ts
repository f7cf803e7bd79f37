import { InvalidInputError } from './errors.js';
import type { Crawl, CrawlStatus, CrawlStep } from './types.js';

/** Longest execution id accepted; real ids are ~40 characters. */
export const MAX_EXECUTION_ID_LENGTH = 200;

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const WHITESPACE = /\s/;
// Encoded forms of characters that would change the path once a server or proxy decodes it.
const ENCODED_DANGER = /%(2f|5c|2e|3f|23|0[0-9a-f]|1[0-9a-f]|7f)/i;

/** `canceled` (the DELETE's own word) and `cancelled`: a crawl some API versions report after a cancel. */
const CANCELED_STATUSES = new Set(['canceled', 'cancelled']);
const KNOWN_STATUSES = new Set(['pending', 'running', 'completed', 'failed', ...CANCELED_STATUSES]);

/** completed, failed and canceled/cancelled are terminal; pending, running and unknown strings are not. */
export function isTerminalStatus(status: CrawlStatus): boolean {
  return status === 'completed' || status === 'failed' || CANCELED_STATUSES.has(status);
}

/** A status this package knows; any other string is kept, warned about once and treated as not finished. */
export function isKnownStatus(status: CrawlStatus): boolean {
  return KNOWN_STATUSES.has(status);
}

/**
 * Whether a finished crawl was cancelled: status `canceled`/`cancelled`, or `failed` (which the API documents
 * as "failed or was aborted") with an error that says it was cancelled or aborted.
 */
export function isCanceledCrawl(crawl: Pick<Crawl, 'status' | 'error'> | undefined): boolean {
  if (!crawl) return false;
  if (CANCELED_STATUSES.has(crawl.status)) return true;
  return crawl.status === 'failed' && typeof crawl.error === 'string' && /cancel|abort/i.test(crawl.error);
}

/** How a finished crawl ended; undefined while it is not finished. */
export function crawlOutcome(
  crawl: Pick<Crawl, 'status' | 'error'>,
): 'completed' | 'failed' | 'canceled' | undefined {
  if (!isTerminalStatus(crawl.status)) return undefined;
  if (crawl.status === 'completed') return 'completed';
  return isCanceledCrawl(crawl) ? 'canceled' : 'failed';
}

/**
 * The step a crawl is at: the failed step if one failed, else the running one, else the first pending one
 * after the last completed; undefined when there is none (no steps, or all completed). `number` counts from
 * 1 and `of` is the number of steps the API sent, so every face reads "step 2/4" the same way.
 */
export function currentStep(
  crawl: Pick<Crawl, 'steps'>,
): { step: CrawlStep; index: number; number: number; of: number } | undefined {
  const steps = crawl.steps;
  const at = (index: number) => ({ step: steps[index]!, index, number: index + 1, of: steps.length });
  const failed = steps.findIndex((s) => s.status === 'failed');
  if (failed >= 0) return at(failed);
  const running = steps.findIndex((s) => s.status === 'running');
  if (running >= 0) return at(running);
  let lastDone = -1;
  steps.forEach((s, i) => {
    if (s.status === 'completed') lastDone = i;
  });
  for (let i = lastDone + 1; i < steps.length; i++) {
    if (steps[i]!.status === 'pending') return at(i);
  }
  return undefined;
}

function show(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
}

/**
 * Returns the id without surrounding whitespace, or throws InvalidInputError('executionId', ...) saying what
 * is wrong. Inner whitespace is rejected, not removed: an id with a space in it was pasted wrongly.
 */
export function validateExecutionId(id: unknown): string {
  const field = 'executionId';
  if (typeof id !== 'string') {
    throw new InvalidInputError(
      field,
      `execution id must be a string, got ${id === null ? 'null' : typeof id}`,
    );
  }
  const value = id.trim();
  const fail = (why: string): never => {
    throw new InvalidInputError(field, `execution id ${show(value)} ${why}`);
  };
  if (value === '') {
    throw new InvalidInputError(
      field,
      'execution id is empty: pass the execution_id returned when the crawl was started (e.g. crawl-skims-com-a1b2c3d4)',
    );
  }
  if (value.length > MAX_EXECUTION_ID_LENGTH) {
    fail(`is ${value.length} characters long; execution ids are at most ${MAX_EXECUTION_ID_LENGTH}`);
  }
  if (CONTROL.test(value)) fail('contains a control character');
  if (WHITESPACE.test(value)) fail('contains whitespace');
  if (value.includes('/') || value.includes('\\'))
    fail('contains a slash: pass only the id, not a URL or path');
  if (value.includes('?') || value.includes('#')) fail("contains '?' or '#': pass only the id, not a URL");
  if (value.includes('..') || value === '.') fail("contains '..' or is '.', which cannot be an id");
  if (ENCODED_DANGER.test(value)) fail('contains a percent-encoded slash, dot, ? or # or control character');
  return value;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
// A dotted name whose last label is alphabetic (or punycode), e.g. skims.com, shop.example, xn--80ak6aa92e.com.
const DOTTED_HOST =
  /^(?=.{1,253}$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/** Returns the url without surrounding whitespace, or throws InvalidInputError('url', ...). */
export function validateCrawlUrl(url: unknown): string {
  const field = 'url';
  if (typeof url !== 'string') {
    throw new InvalidInputError(field, `url must be a string, got ${url === null ? 'null' : typeof url}`);
  }
  const value = url.trim();
  const fail = (why: string): never => {
    throw new InvalidInputError(field, `url ${show(value)} ${why}`);
  };
  if (value === '') {
    throw new InvalidInputError(field, 'url is empty: pass a website such as skims.com or https://skims.com');
  }
  if (value.length > 2048) fail('is longer than 2048 characters');
  if (CONTROL.test(value)) fail('contains a control character');
  if (WHITESPACE.test(value)) fail('contains whitespace');
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value);
  let hasScheme = false;
  if (scheme) {
    const rest = value.slice(scheme[0].length);
    if (rest.startsWith('//')) {
      hasScheme = true;
      const name = scheme[1]!.toLowerCase();
      if (name !== 'http' && name !== 'https')
        fail(`uses ${name}: only http and https websites can be crawled`);
    } else if (!/^\d+(?:[/?#]|$)/.test(rest)) {
      // `host:8080` is a bare host with a port; `javascript:x` or `mailto:x` is a scheme we do not crawl.
      fail(`uses ${scheme[1]!.toLowerCase()}: only http and https websites can be crawled`);
    }
  }
  let parsed: URL;
  try {
    parsed = new URL(hasScheme ? value : `https://${value}`);
  } catch {
    return fail('is not a valid website address');
  }
  if (parsed.username || parsed.password) fail('must not contain a user name or password');
  const host = parsed.hostname.toLowerCase();
  const ipv4 = IPV4.exec(host);
  const plausible =
    host === 'localhost' ||
    (host.startsWith('[') && host.endsWith(']')) ||
    ipv4?.slice(1).every((part) => Number(part) <= 255) === true ||
    (ipv4 === null && DOTTED_HOST.test(host));
  if (!plausible) fail('has no plausible host name: pass a website such as skims.com');
  return value;
}
