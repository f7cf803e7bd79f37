import { describe, expect, it } from 'vitest';
import { buildSummary, escapeMarkdown, stepRows, timelineChart } from '../src/summary.js';
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

  it('draws no chart when no step was seen running', () => {
    expect(timelineChart({ outcome: 'error', elapsedMs: 1 })).toBeUndefined();
    expect(
      timelineChart({ outcome: 'completed', elapsedMs: 1, history: history({ steps: [] }) }),
    ).toBeUndefined();
  });
});
