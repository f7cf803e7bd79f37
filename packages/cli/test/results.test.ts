import { describe, expect, it } from 'vitest';
import { EXIT, exitCodeForError, UsageError, WriteError } from '../src/exit-codes.js';
import { safeText } from '../src/format.js';
import { type ExportTarget, exportSummaryLines, parseResultsTarget, resolveFormat } from '../src/results.js';

describe('results arguments', () => {
  it('a value with a dot is a vendor, anything else an execution id', async () => {
    expect(await parseResultsTarget('skims.com')).toEqual({ vendor: 'skims.com' });
    expect(await parseResultsTarget(' SKIMS.com ')).toEqual({ vendor: 'skims.com' });
    expect(await parseResultsTarget('crawl-skims-com-4ddfa1c9')).toEqual({
      executionId: 'crawl-skims-com-4ddfa1c9',
    });
    await expect(parseResultsTarget('skims com')).rejects.toThrow(/contains whitespace/);
    await expect(parseResultsTarget('skims.com/x')).rejects.toThrow(/did you mean skims\.com/);
    await expect(parseResultsTarget('')).rejects.toThrow(/vendor is empty/);
  });

  it('the format: --format, else the extension, else jsonl on stdout; unknown ones are usage errors', async () => {
    expect(await resolveFormat(undefined, undefined)).toBe('jsonl');
    expect(await resolveFormat(undefined, '-')).toBe('jsonl');
    expect(await resolveFormat(undefined, 'a/b.CSV')).toBe('csv');
    expect(await resolveFormat(undefined, 'x.ndjson')).toBe('jsonl');
    expect(await resolveFormat(undefined, 'x.json')).toBe('json');
    expect(await resolveFormat('csv', 'x.json')).toBe('csv');
    expect(await resolveFormat('JSONL', undefined)).toBe('jsonl');
    await expect(resolveFormat('xml', undefined)).rejects.toThrow(UsageError);
    await expect(resolveFormat(undefined, 'data.txt', '--results')).rejects.toThrow(
      /cannot tell the format from the name "data\.txt" \(--results\)/,
    );
  });

  it('exit codes of the new failures', () => {
    expect(exitCodeForError(new WriteError('disk full'))).toBe(EXIT.OUTPUT);
    expect(EXIT.NOT_COMPLETED).toBe(9);
    expect(EXIT.NOT_RUNNING_YET).toBe(10);
    expect(EXIT.OUTPUT).toBe(11);
  });
});

describe('results summary', () => {
  const target: ExportTarget = {
    kind: 'listings',
    vendor: 'skims.com',
    format: 'csv',
    file: 'out.csv',
    approximations: [],
    expected: 10,
  };
  const summary = {
    format: 'csv' as const,
    kind: 'listings' as const,
    pagesRead: 1,
    items: 10,
    skipped: 0,
    filteredOut: 0,
    limited: false,
    bytes: 100,
  };

  it('says what was written, and notes a count that differs from the crawl', () => {
    expect(exportSummaryLines(target, { summary, brokenPipe: false })).toEqual([
      'Wrote 10 listings of skims.com (csv, 1 page) to out.csv.',
    ]);
    const lines = exportSummaryLines(target, { summary: { ...summary, items: 12 }, brokenPipe: false });
    expect(lines[1]).toMatch(/the crawl reported 10 listings; the vendor's index has 12 now/);
  });

  it('nothing indexed, skipped items, the hard cap, and the approximation labels', () => {
    const empty = exportSummaryLines(
      { ...target, expected: undefined },
      { summary: { ...summary, items: 0, stopReason: 'not_found' }, brokenPipe: false },
    );
    expect(empty[1]).toMatch(/^Nothing is indexed for skims\.com/);
    const odd = exportSummaryLines(
      { ...target, approximations: ['Approximation: ...'] },
      { summary: { ...summary, skipped: 2, filteredOut: 3, stopReason: 'hard_cap' }, brokenPipe: false },
    );
    expect(odd).toEqual([
      'Wrote 10 listings of skims.com (csv, 1 page) to out.csv.',
      '3 items left out by the since-start filter.',
      '2 items skipped: the API sent them without an id or url.',
      expect.stringMatching(/hard cap/),
      'Approximation: ...',
    ]);
    expect(exportSummaryLines(target, { summary, brokenPipe: true })).toEqual([]);
  });

  it('safeText: no control or bidi character reaches a terminal line, and long text is clipped', () => {
    expect(safeText('a\u001b]0;x\u0007b\u202ec\n  d')).toBe('a\uFFFD]0;x\uFFFDb\uFFFDc d');
    expect(safeText('x'.repeat(100), 10)).toBe(`${'x'.repeat(9)}…`);
    expect(safeText('😀'.repeat(5), 3)).toBe('😀😀…');
  });
});
