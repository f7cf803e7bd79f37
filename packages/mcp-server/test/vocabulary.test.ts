import { type Crawl, NetworkError } from '@catalog-crawl/core';
import { describe, expect, it } from 'vitest';
import { describeError } from '../src/errors.js';
import { crawlStatus, statusLine } from '../src/format.js';

/** The crawl every face's vocabulary test formats (the Action and the CLI have the same one). */
const SAME_CRAWL: Crawl = {
  executionId: 'crawl-skims-com-4ddfa1c9',
  status: 'running',
  error: null,
  vendor: 'skims.com',
  durationMs: 90_500,
  progress: { collectionsFound: 12, listingsFound: 340 },
  steps: [
    { name: 'Determining crawl method', status: 'completed' },
    { name: 'Discovering collections', status: 'running' },
    { name: 'Analyzing collections', status: 'pending' },
    { name: 'Extracting listings', status: 'pending' },
  ],
  raw: {},
};

describe("the MCP server uses core's vocabulary", () => {
  it('reads the same crawl as the Action and the CLI do', () => {
    expect(statusLine(crawlStatus(SAME_CRAWL))).toBe(
      'running · step 2/4 Discovering collections · 12 collections, 340 listings so far · 1m31s',
    );
  });

  it('names its own settings in advice (moved from core, whose messages state facts only)', () => {
    const text = describeError(new NetworkError('Could not reach the Catalog API'), {
      action: 'read the crawl',
    });
    expect(text).toContain('CATALOG_API_BASE_URL');
  });
});
