import { describe, expect, it } from 'vitest';
import {
  buildStepSummary,
  buildSummary,
  escapeMarkdown,
  safeUrl,
  stepRows,
  timelineChart,
} from '../src/summary.js';
import { completedCrawl, crawl, history, T0 } from './fixtures.js';

describe('buildSummary', () => {
  it('shows a completed crawl with counts, the steps table and a mermaid chart', () => {
    const md = buildSummary({
      outcome: 'completed',
      executionId: 'crawl-skims-com-a1b2c3d4',
      crawl: completedCrawl(),
      history: history(),
      elapsedMs: 590_000,
    });
    expect(md).toContain('## ✅ Catalog crawl completed: skims.com');
    expect(md).toContain('| Execution id | `crawl-skims-com-a1b2c3d4` |');
    expect(md).toContain('| Duration | 10m (crawl), 9m50s (this step) |');
    expect(md).toContain('| Collections | 40 |');
    expect(md).toContain('| Listings | 5,000 |');
    expect(md).toContain(
      '| 2 | Discovering collections | ✅ completed | +20s (03:04:25 UTC) | +3m20s (03:07:25 UTC) |',
    );
    expect(md).toContain('```mermaid\ngantt');
    expect(md).toContain(`    Extracting listings :done, s4, ${T0 + 400_000}, ${T0 + 590_000}`);
    expect(md).not.toContain('[!CAUTION]');
    expect(md).toMatchSnapshot();
  });

  it('shows the API error and the request id on failure', () => {
    const failed = crawl({
      status: 'failed',
      error: 'Extraction failed | <blocked>',
      requestId: 'req_abc',
      steps: [
        { name: 'Determining crawl method', status: 'completed' },
        { name: 'Discovering collections', status: 'completed' },
        { name: 'Analyzing collections', status: 'completed' },
        { name: 'Extracting listings', status: 'failed' },
      ],
    });
    const h = history();
    h.steps[3] = {
      name: 'Extracting listings',
      status: 'failed',
      startedAt: T0 + 400_000,
      finishedAt: T0 + 450_000,
    };
    const md = buildSummary({
      outcome: 'failed',
      executionId: 'crawl-a-1',
      crawl: failed,
      history: h,
      elapsedMs: 1,
    });
    expect(md).toContain('## ❌ Catalog crawl failed: skims.com');
    expect(md).toContain('> **Error:** Extraction failed \\| &lt;blocked&gt;');
    expect(md).toContain('> **Request id:** `req_abc`');
    expect(md).toContain('| 4 | Extracting listings | ❌ failed |');
    expect(md).toContain('Extracting listings :crit, s4,');
  });

  it('shows what was last seen on a timeout', () => {
    const h = history({
      steps: [
        { name: 'Determining crawl method', status: 'completed', startedAt: T0, finishedAt: T0 + 20_000 },
        { name: 'Discovering collections', status: 'running', startedAt: T0 + 20_000 },
      ],
    });
    const md = buildSummary({
      outcome: 'timed_out',
      executionId: 'crawl-a-1',
      crawl: crawl(),
      history: h,
      elapsedMs: 600_000,
      timeoutMs: 600_000,
    });
    expect(md).toContain('## ⏱️ Catalog crawl timed out: skims.com');
    expect(md).toContain('> Timed out after 10m while the crawl was running.');
    expect(md).toContain(
      '> **Last seen:** running, step 2/4 Discovering collections, 12 collections, 1,234 listings',
    );
    expect(md).toContain('| Collections found | 12 |');
    expect(md).toContain('| 3 | Analyzing collections | ⏳ pending | — | — |');
    expect(md).toContain(`Discovering collections :active, s2, ${T0 + 20_000}, ${T0 + 600_000}`);
  });

  it('shows an error with its code and request id, without a steps table when nothing was seen', () => {
    const md = buildSummary({
      outcome: 'error',
      elapsedMs: 12,
      error: { message: 'Invalid API key', status: 401, code: 'UNAUTHORIZED', requestId: 'req_401' },
    });
    expect(md).toContain('## ❌ Catalog crawl error');
    expect(md).toContain('> **Error:** Invalid API key (HTTP 401, request id req\\_401)');
    expect(md).toContain('> **Request id:** `req_401`');
    expect(md).toContain('> **Code:** `UNAUTHORIZED`');
    expect(md).not.toContain('### Steps');
    expect(md).not.toContain('mermaid');
  });
});

describe('pieces', () => {
  it('escapes markdown and html', () => {
    expect(escapeMarkdown('a|b\n<script>*x*')).toBe('a\\|b &lt;script&gt;\\*x\\*');
  });

  it('keeps unknown step names after the four documented ones', () => {
    const rows = stepRows({
      outcome: 'completed',
      elapsedMs: 1,
      crawl: crawl({ steps: [{ name: 'Verifying', status: 'completed' }] }),
    });
    expect(rows.map((r) => r.name)).toEqual([
      'Determining crawl method',
      'Discovering collections',
      'Analyzing collections',
      'Extracting listings',
      'Verifying',
    ]);
  });

  it('steps first seen in the same poll share one bar instead of identical overlapping bars', () => {
    const chart = timelineChart({
      outcome: 'completed',
      elapsedMs: 60_000,
      crawl: completedCrawl(),
      history: history({
        steps: [
          // both already finished at the first poll: the same observed times
          { name: 'Determining crawl method', status: 'completed', startedAt: T0, finishedAt: T0 },
          { name: 'Discovering collections', status: 'completed', startedAt: T0, finishedAt: T0 },
          { name: 'Analyzing collections', status: 'completed', startedAt: T0, finishedAt: T0 + 20_000 },
          {
            name: 'Extracting listings',
            status: 'completed',
            startedAt: T0 + 20_000,
            finishedAt: T0 + 50_000,
          },
        ],
      }),
    })!;
    const bars = chart.split('\n').filter((line) => line.includes(' :'));
    expect(bars).toEqual([
      `    Determining crawl method + Discovering collections :done, s1, ${T0}, ${T0 + 1000}`,
      `    Analyzing collections :done, s3, ${T0}, ${T0 + 20_000}`,
      `    Extracting listings :done, s4, ${T0 + 20_000}, ${T0 + 50_000}`,
    ]);
  });

  it('the first table has no empty header row', () => {
    const md = buildSummary({ outcome: 'completed', elapsedMs: 1, crawl: completedCrawl() });
    expect(md).not.toContain('| | |');
    expect(md).toContain('| Outcome | ✅ `completed` |\n|---|---|\n| Vendor | skims.com |');
  });

  it('draws no chart when no step was seen running', () => {
    expect(timelineChart({ outcome: 'error', elapsedMs: 1 })).toBeUndefined();
    expect(
      timelineChart({ outcome: 'completed', elapsedMs: 1, history: history({ steps: [] }) }),
    ).toBeUndefined();
  });
});

describe('what was found', () => {
  const listing = (i: number, extra: Record<string, unknown> = {}) => ({
    id: `l${i}`,
    url: `https://skims.com/products/${i}?a=1&b=2`,
    name: `Dress ${i}`,
    images: [{ url: `https://cdn.skims.com/${i}.jpg`, position: 1 }],
    price: { currency: 'USD', currentValue: 58, compareAtValue: null },
    raw: {},
    ...extra,
  });

  it('shows the first listings with image, linked name and price, and how many more', () => {
    const md = buildSummary({
      outcome: 'completed',
      executionId: 'crawl-skims-com-a1b2c3d4',
      crawl: completedCrawl(),
      elapsedMs: 1,
      results: {
        directory: '/w/catalog-results',
        files: [
          { kind: 'listings', path: '/w/catalog-results/skims.com.listings.jsonl', count: 5000, total: 5000 },
        ],
        sample: [
          listing(1),
          listing(2, { price: { currency: 'EUR', currentValue: 40, compareAtValue: 50 } }),
        ],
      },
    });
    expect(md).toContain('### What was found');
    expect(md).toContain('| | Listing | Price |\n|---|---|---|');
    expect(md).toContain(
      '| <img src="https://cdn.skims.com/1.jpg" alt="" width="48" height="48"> | [Dress 1](https://skims.com/products/1?a=1&b=2) | $58.00 |',
    );
    expect(md).toContain('| €40.00 ~~€50.00~~ |');
    expect(md).toContain('…and 4,998 more listings.');
    expect(md).toContain('Saved: `/w/catalog-results/skims.com.listings.jsonl` (5,000 listings).');
  });

  it('escapes API text: names, hostile URLs, image URLs that would end the attribute', () => {
    const md = buildSummary({
      outcome: 'completed',
      elapsedMs: 1,
      results: {
        directory: '/d',
        files: [{ kind: 'listings', path: '/d/x.listings.jsonl', count: 3 }],
        sample: [
          listing(1, {
            name: 'A | <script>alert(1)</script> [x](javascript:y)',
            url: 'javascript:alert(1)',
            images: [{ url: 'https://x.example/a.jpg" onerror="alert(1)' }],
          }),
          listing(2, { url: 'https://x.example/p)(<b>|', images: [{ url: 'data:image/png;base64,AAAA' }] }),
        ],
      },
    });
    expect(md).not.toContain('<script>');
    // an escaped `\](` is text, not a link
    expect(md).not.toMatch(/(?<!\\)\]\(javascript:|src="javascript:/);
    expect(md).not.toContain('data:image');
    expect(md).not.toContain('" onerror');
    expect(md).toContain('| A \\| &lt;script&gt;alert(1)&lt;/script&gt; \\[x\\](javascript:y) |');
    expect(md).toContain('(https://x.example/p%29%28%3Cb%3E%7C)');
    expect(md).toContain('…and 1 more listing.');
  });

  it('says why when the results could not be saved', () => {
    const md = buildSummary({
      outcome: 'completed',
      elapsedMs: 1,
      results: { directory: '/d', files: [], sample: [], error: 'HTTP 500 <b>' },
    });
    expect(md).toContain('> The results could not be saved: HTTP 500 &lt;b&gt;');
  });

  it('safeUrl keeps http(s) only', () => {
    expect(safeUrl('https://a.example/x y')).toBe('https://a.example/x%20y');
    expect(safeUrl('ftp://a.example/')).toBeUndefined();
    expect(safeUrl('not a url')).toBeUndefined();
    expect(safeUrl(undefined)).toBeUndefined();
  });

  it("a step with several crawls has each crawl's section", () => {
    const md = buildStepSummary([
      { outcome: 'completed', elapsedMs: 1, label: 'a.example', crawl: completedCrawl() },
      {
        outcome: 'failed',
        elapsedMs: 1,
        label: 'b.example',
        crawl: crawl({ status: 'failed', vendor: 'b.example' }),
      },
    ]);
    expect(md.startsWith('## ❌ Catalog crawls: 1 completed, 1 failed\n')).toBe(true);
    expect(md).toContain('| 1 | [skims.com](#crawl-1) | ✅ `completed` | 10m | 40 | 5,000 |');
    expect(md).toContain('| 2 | [b.example](#crawl-2) | ❌ `failed` |');
    expect(md).toContain('<a id="crawl-2"></a>\n\n### ❌ Catalog crawl failed: b.example');
    expect(md).toContain('#### Steps');
  });
});
