import { NetworkError } from '@catalog-crawl/core';
import { SAME_CRAWL } from '@catalog-crawl/test-kit';
import { describe, expect, it } from 'vitest';
import { describeError } from '../src/errors.js';
import { crawlStatus, statusLine } from '../src/format.js';

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
