import { validateExecutionId } from '../crawl.js';
import { InvalidInputError } from '../errors.js';

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const HOST = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*\.?$/i;
const MAX_COLLECTION_URLS = 50;

function show(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
}

/**
 * A vendor is the hostname a crawl reports as `meta.vendor` (e.g. `skims.com`). Returns it trimmed and
 * lower-cased, or throws InvalidInputError('vendor') saying what is wrong, before any request is made.
 */
export function validateVendor(vendor: unknown): string {
  const field = 'vendor';
  if (typeof vendor !== 'string') {
    throw new InvalidInputError(
      field,
      `vendor must be a string, got ${vendor === null ? 'null' : typeof vendor}`,
    );
  }
  const value = vendor.trim();
  if (value === '') {
    throw new InvalidInputError(
      field,
      "vendor is empty: pass the vendor's hostname, e.g. skims.com (a crawl's meta.vendor)",
    );
  }
  const fail = (why: string): never => {
    throw new InvalidInputError(field, `vendor ${show(value)} ${why}`);
  };
  if (CONTROL.test(value)) fail('contains a control character');
  if (/\s/.test(value)) fail('contains whitespace: pass one hostname, e.g. skims.com');
  if (/[/\\?#@:]/.test(value) || value.includes('%')) {
    let hint = '';
    try {
      const host = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `https://${value}`).hostname;
      if (host && HOST.test(host)) hint = ` (did you mean ${host}?)`;
    } catch {
      // No hint: the value is not a URL either.
    }
    fail(`is not a bare hostname: pass only the host, without scheme, path, port or query${hint}`);
  }
  if (value.length > 253) fail('is longer than 253 characters, the longest possible hostname');
  if (!HOST.test(value) || value.includes('..')) fail('is not a valid hostname (e.g. skims.com)');
  return value.toLowerCase();
}

/** Collection page URLs for `collection_urls`: each an http(s) URL, at most 50 (they travel in the query). */
export function validateCollectionUrls(urls: unknown): string[] {
  const field = 'collectionUrls';
  if (!Array.isArray(urls)) throw new InvalidInputError(field, 'collectionUrls must be an array of URLs');
  if (urls.length === 0) {
    throw new InvalidInputError(field, 'collectionUrls is empty: leave it out to read every listing');
  }
  if (urls.length > MAX_COLLECTION_URLS) {
    throw new InvalidInputError(
      field,
      `collectionUrls has ${urls.length} URLs; pass at most ${MAX_COLLECTION_URLS} per read`,
    );
  }
  return urls.map((url, i) => {
    const value = typeof url === 'string' ? url.trim() : '';
    let ok = value !== '' && value.length <= 2048 && !CONTROL.test(value) && !/\s/.test(value);
    if (ok) {
      try {
        ok = /^https?:$/.test(new URL(value).protocol);
      } catch {
        ok = false;
      }
    }
    if (!ok) {
      throw new InvalidInputError(
        field,
        `collectionUrls[${i}] is not an http(s) URL of a collection page (e.g. https://skims.com/collections/bras)`,
      );
    }
    return value;
  });
}

export type ResultsTarget = { kind: 'vendor'; vendor: string } | { kind: 'execution'; executionId: string };

/**
 * One rule for faces that take "a vendor or an execution id" (`results <vendor|execution-id>`): text with a
 * dot is a vendor hostname (`skims.com`), anything else an execution id (`crawl-skims-com-a1b2c3d4`, which
 * has no dot). Validated either way; throws InvalidInputError (field `vendor` or `executionId`).
 */
export function parseResultsTarget(input: unknown): ResultsTarget {
  if (typeof input === 'string' && input.includes('.'))
    return { kind: 'vendor', vendor: validateVendor(input) };
  if (typeof input === 'string' && input.trim() === '') {
    throw new InvalidInputError(
      'target',
      'nothing to read: pass a vendor hostname (e.g. skims.com) or an execution id (e.g. crawl-skims-com-a1b2c3d4)',
    );
  }
  return { kind: 'execution', executionId: validateExecutionId(input) };
}
