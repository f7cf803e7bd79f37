import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AbortedError, CatalogClient, CatalogError, InvalidInputError } from '../src/index.js';

const NULL_BODY = new Set([204, 205, 304]);

function clientAnswering(status: number, bytes: Uint8Array): CatalogClient {
  return new CatalogClient({
    apiKey: 'prop-key',
    baseUrl: 'http://catalog.test',
    retry: false,
    rateLimit: false,
    fetch: async () =>
      new Response(NULL_BODY.has(status) ? null : bytes, { status, headers: { 'request-id': 'req_prop' } }),
  });
}

/** Every call either resolves to a well-formed value or rejects with a typed CatalogError from an answer. */
async function check(client: CatalogClient): Promise<void> {
  const calls: [string, () => Promise<unknown>, (value: unknown) => void][] = [
    [
      'getCrawl',
      () => client.getCrawl('crawl-1'),
      (v) => {
        const c = v as { executionId: unknown; status: unknown; steps: unknown; error: unknown };
        expect(typeof c.executionId).toBe('string');
        expect(typeof c.status).toBe('string');
        expect(Array.isArray(c.steps)).toBe(true);
        expect(c.error === null || typeof c.error === 'string').toBe(true);
      },
    ],
    [
      'startCrawl',
      () => client.startCrawl({ url: 'skims.com' }),
      (v) => {
        expect(typeof (v as { executionId: unknown }).executionId).toBe('string');
      },
    ],
    [
      'cancelCrawl',
      () => client.cancelCrawl('crawl-1'),
      (v) => {
        expect(['canceled', 'already_finished']).toContain((v as { outcome: unknown }).outcome);
      },
    ],
    [
      'listCrawls',
      () => client.listCrawls(),
      (v) => {
        const l = v as { items: unknown; pagination: { page: unknown } };
        expect(Array.isArray(l.items)).toBe(true);
        expect(typeof l.pagination.page).toBe('number');
      },
    ],
  ];
  for (const [, call, valid] of calls) {
    try {
      valid(await call());
    } catch (error) {
      expect(error).toBeInstanceOf(CatalogError);
      expect(error).not.toBeInstanceOf(AbortedError);
      expect(error).not.toBeInstanceOf(InvalidInputError);
      expect(typeof (error as CatalogError).code).toBe('string');
      expect((error as CatalogError).status).toBeGreaterThanOrEqual(200);
    }
  }
}

const statuses = fc.oneof(
  fc.constantFrom(200, 201, 202, 204, 400, 401, 402, 403, 404, 408, 409, 429, 500, 502, 503),
  fc.integer({ min: 200, max: 599 }),
);

describe('parsing never throws anything but typed errors', () => {
  it('for arbitrary JSON values', async () => {
    await fc.assert(
      fc.asyncProperty(statuses, fc.jsonValue(), async (status, value) => {
        await check(clientAnswering(status, new TextEncoder().encode(JSON.stringify(value))));
      }),
      { numRuns: 150 },
    );
  });

  it('for arbitrary JSON shaped like the API', async () => {
    const step = fc.record(
      { name: fc.oneof(fc.string(), fc.integer()), status: fc.oneof(fc.string(), fc.constant(null)) },
      { requiredKeys: [] },
    );
    const crawlish = fc.record(
      {
        execution_id: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
        status: fc.oneof(
          fc.constantFrom('pending', 'running', 'completed', 'failed'),
          fc.string(),
          fc.integer(),
        ),
        error: fc.oneof(fc.string(), fc.constant(null), fc.boolean()),
        meta: fc.record(
          {
            steps: fc.oneof(fc.array(step), fc.string()),
            progress: fc.oneof(
              fc.record({
                collections_found: fc.oneof(fc.integer(), fc.string()),
                listings_found: fc.double(),
              }),
              fc.constant(null),
            ),
            result: fc.record({ collections_total: fc.integer(), listings_total: fc.integer() }),
            duration_ms: fc.oneof(fc.integer(), fc.string()),
          },
          { requiredKeys: [] },
        ),
        data: fc.oneof(fc.array(fc.record({ execution_id: fc.string(), status: fc.string() })), fc.string()),
        pagination: fc.record(
          { page: fc.oneof(fc.integer(), fc.string()), has_next: fc.oneof(fc.boolean(), fc.integer()) },
          { requiredKeys: [] },
        ),
        error_env: fc.record({ code: fc.string(), message: fc.string(), request_id: fc.string() }),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(statuses, crawlish, async (status, value) => {
        await check(clientAnswering(status, new TextEncoder().encode(JSON.stringify(value))));
      }),
      { numRuns: 150 },
    );
  });

  it('for arbitrary bytes', async () => {
    await fc.assert(
      fc.asyncProperty(statuses, fc.uint8Array({ maxLength: 300 }), async (status, bytes) => {
        await check(clientAnswering(status, bytes));
      }),
      { numRuns: 150 },
    );
  });

  it('for deeply nested JSON', async () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    await check(clientAnswering(200, new TextEncoder().encode(deep)));
    await check(clientAnswering(500, new TextEncoder().encode(deep)));
  });
});
