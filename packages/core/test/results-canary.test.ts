import { PassThrough } from 'node:stream';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CatalogClient, crawlResults, exportResults, listListings } from '../src/index.js';

const CANARY = 'ck_live_RESULTS_CANARY_4c2b1a';
const ID = 'crawl-echo-com-1';

/** Everything reachable from an error that could be printed or logged. */
function exposures(error: unknown): string {
  const out: string[] = [inspect(error, { depth: 8 }), String(error)];
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 10; depth++) {
    out.push(current.message, current.stack ?? '', JSON.stringify(current));
    current = current.cause;
  }
  return out.join('\n');
}

/** A server that echoes the key in every error shape, header and crawl field it can. */
function echoingFetch(): typeof fetch {
  return async (input) => {
    const url = new URL(String(input));
    const headers = { 'request-id': `req_${CANARY}`, 'content-type': 'application/json' };
    if (url.pathname.startsWith('/v2/crawl/')) {
      const status = url.searchParams.size === 0 && url.pathname.endsWith('-1') ? CANARY : 'completed';
      return new Response(
        JSON.stringify({
          execution_id: CANARY,
          status,
          error: `failed with ${CANARY}`,
          meta: { vendor: `https://${CANARY}/x`, start_date: CANARY },
        }),
        { status: 200, headers },
      );
    }
    const shapes = [
      { error: { code: `E_${CANARY}`, message: `bad ${CANARY}`, request_id: `req_${CANARY}` } },
      { error: `Invalid API key ${CANARY}`, status: 401 },
    ];
    const status = url.searchParams.get('vendor') === 'a.example' ? 401 : 400;
    return new Response(JSON.stringify(shapes[status === 401 ? 1 : 0]), { status, headers });
  };
}

describe('results: the API key never shows', () => {
  it('in errors from the results endpoints, crawlResults and the exporter', async () => {
    const client = new CatalogClient({
      apiKey: CANARY,
      baseUrl: 'http://api.test',
      fetch: echoingFetch(),
      retry: false,
      rateLimit: false,
    });
    const errors: unknown[] = [];
    for (const vendor of ['a.example', 'b.example']) {
      errors.push(
        await exportResults(listListings(client, vendor), new PassThrough(), { format: 'csv' }).catch(
          (e: unknown) => e,
        ),
      );
    }
    // Status echoes the key: refused as not completed, with no API text in the message.
    errors.push(await crawlResults(client, ID, 'listings').catch((e: unknown) => e));
    // Completed, but meta.vendor is not a hostname (and carries the key).
    errors.push(await crawlResults(client, 'crawl-echo-com-2', 'listings').catch((e: unknown) => e));
    expect(errors.every((e) => e instanceof Error)).toBe(true);
    for (const error of errors) expect(exposures(error)).not.toContain(CANARY);
  });
});
