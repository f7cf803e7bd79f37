import { PassThrough, Writable } from 'node:stream';
import { parse as parseCsv } from 'csv-parse/sync';
import { stringify as stringifyCsv } from 'csv-stringify/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AbortedError, InvalidInputError } from '../src/index.js';
import {
  CSV_COLUMNS,
  csvRecordEnds,
  type ExportProgress,
  exportResults,
  firstImageUrl,
  OutputError,
  validateExportFormat,
} from '../src/results/export.js';
import { type FetchPage, Results } from '../src/results/pages.js';
import { parseEnvelope, parseListing } from '../src/results/parse.js';
import type { Collection, Listing, ResultsKind, Vendor } from '../src/results/types.js';

// Text from crawled websites: separators, quotes, newlines, formula starts, non-ASCII, a key-like string.
const NASTY = [
  'a,b',
  'say "hi"',
  'line1\nline2\r\nline3',
  '=HYPERLINK("http://evil")',
  '+1',
  '@sum',
  'café ☕ 😀',
  '',
];

function rawListing(n: number) {
  return {
    id: `l${n}`,
    url: `https://shop.example/p/${n}?a=1,2`,
    name: NASTY[n % NASTY.length] || undefined,
    images:
      n % 3 === 0
        ? []
        : [
            { id: `i${n}b`, url: `https://cdn.example/${n}/b.jpg`, position: 2 },
            { id: `i${n}a`, url: `https://cdn.example/${n}/a.jpg`, position: 1 },
          ],
    price: { currency: 'EUR', current_value: n + 0.5, compare_at_value: n % 2 ? null : n + 10 },
    vendor: 'shop.example',
    first_seen_by_catalog: '2025-01-01T00:00:00Z',
    last_updated_by_catalog: '2025-01-02T00:00:00Z',
    extra_field: { nested: [n] },
  };
}

/** A fake endpoint of `total` items; records, for each fetch, how many items the exporter had written. */
function source<T>(kind: ResultsKind, total: number, make: (n: number) => unknown, written?: () => number) {
  const atFetch: number[] = [];
  const fetchPage: FetchPage = async (req) => {
    if (written) atFetch.push(written());
    const from = (req.page - 1) * req.pageSize;
    const data = Array.from({ length: Math.max(0, Math.min(req.pageSize, total - from)) }, (_, i) =>
      make(from + i),
    );
    const totalPages = Math.ceil(total / req.pageSize);
    return {
      envelope: parseEnvelope({
        data,
        pagination: {
          page: req.page,
          page_size: req.pageSize,
          total_items: total,
          total_pages: totalPages,
          has_next: req.page < totalPages,
        },
      }),
      method: 'GET',
    };
  };
  return { atFetch, results: new Results<T>(kind, fetchPage, { what: kind }) };
}

/** A slow Writable with a tiny buffer; records each chunk it was given and the most it ever held. */
function slowSink(highWaterMark: number) {
  let maxBuffered = 0;
  const chunks: string[] = [];
  const out: Writable = new Writable({
    highWaterMark,
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      setImmediate(done);
    },
  });
  const origWrite = out.write.bind(out);
  out.write = ((chunk: string) => {
    const ok = origWrite(chunk);
    maxBuffered = Math.max(maxBuffered, out.writableLength);
    return ok;
  }) as typeof out.write;
  return { out, chunks, maxBuffered: () => maxBuffered, received: () => chunks.join('') };
}

/** The records of csv-stringify's output, cut where csvRecordEnds says. */
function csvRecords(text: string): string[] {
  let start = 0;
  return csvRecordEnds(text).map((end) => {
    const record = text.slice(start, end);
    start = end;
    return record;
  });
}

function sink(): { out: PassThrough; text: () => string } {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  return { out, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('exportResults: output validity', () => {
  it('JSON Lines: one JSON object per line, every field as received (unknown fields kept)', async () => {
    const { results } = source<Listing>('listings', 250, rawListing);
    const { out, text } = sink();
    const summary = await exportResults(results, out, { format: 'jsonl' });
    const lines = text().split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(250);
    const parsed = lines.map((l) => JSON.parse(l));
    expect(parsed[1]).toEqual(JSON.parse(JSON.stringify(rawListing(1))));
    expect(new Set(parsed.map((p) => p.id)).size).toBe(250);
    expect(summary).toMatchObject({
      items: 250,
      pagesRead: 3,
      total: 250,
      stopReason: 'has_next_false',
      limited: false,
    });
    expect(summary.bytes).toBe(Buffer.byteLength(text()));
  });

  it('JSON: one valid array, also when empty', async () => {
    const { results } = source<Listing>('listings', 101, rawListing);
    const { out, text } = sink();
    await exportResults(results, out, { format: 'json' });
    const parsed = JSON.parse(text());
    expect(parsed).toHaveLength(101);
    expect(parsed[100].id).toBe('l100');

    const empty = source<Listing>('listings', 0, rawListing);
    const s = sink();
    const summary = await exportResults(empty.results, s.out, { format: 'json' });
    expect(JSON.parse(s.text())).toEqual([]);
    expect(summary).toMatchObject({ items: 0, stopReason: 'empty' });
  });

  it('CSV (listings): parses back with csv-parse to the documented columns, nested fields flattened', async () => {
    const { results } = source<Listing>('listings', 120, rawListing);
    const { out, text } = sink();
    await exportResults(results, out, { format: 'csv' });
    const rows = parseCsv(text(), { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]!)).toEqual([...CSV_COLUMNS.listings]);
    expect(rows).toHaveLength(120);
    for (const [n, row] of rows.entries()) {
      const raw = rawListing(n);
      const name = raw.name ?? '';
      // Formula-like cells get a leading quote; everything else round-trips exactly.
      expect(row.name).toBe(/^[=+\-@\t\r]/.test(name) ? `'${name}` : name);
      expect(row).toMatchObject({
        id: raw.id,
        url: raw.url,
        price: String(raw.price.current_value),
        currency: 'EUR',
        compare_at_price: raw.price.compare_at_value === null ? '' : String(raw.price.compare_at_value),
        image_url: raw.images.length ? `https://cdn.example/${n}/a.jpg` : '',
        image_count: String(raw.images.length),
        vendor: 'shop.example',
        first_seen_by_catalog: raw.first_seen_by_catalog,
        last_updated_by_catalog: raw.last_updated_by_catalog,
      });
    }
  });

  it('CSV (collections, vendors): their own columns; the header is written even with no item', async () => {
    const c = source<Collection>('collections', 3, (n) => ({
      id: `c${n}`,
      url: `https://s/c/${n}`,
      products_total: n * 10,
    }));
    const s1 = sink();
    await exportResults(c.results, s1.out, { format: 'csv' });
    expect(parseCsv(s1.text(), { columns: true })).toEqual([
      { id: 'c0', url: 'https://s/c/0', products_total: '0', last_updated_by_catalog: '' },
      { id: 'c1', url: 'https://s/c/1', products_total: '10', last_updated_by_catalog: '' },
      { id: 'c2', url: 'https://s/c/2', products_total: '20', last_updated_by_catalog: '' },
    ]);
    const v = source<Vendor>('vendors', 1, () => ({
      vendor: 'old.example',
      product_count: 5,
      in_affiliate_network: false,
    }));
    const s2 = sink();
    await exportResults(v.results, s2.out, { format: 'csv' });
    expect(parseCsv(s2.text(), { columns: true })).toEqual([
      {
        vendor: 'old.example',
        listings_count: '5',
        collections_count: '',
        last_updated_by_catalog: '',
        in_affiliate_network: 'false',
      },
    ]);
    const none = source<Vendor>('vendors', 0, () => ({}));
    const s3 = sink();
    await exportResults(none.results, s3.out, { format: 'csv' });
    expect(s3.text()).toBe(`${CSV_COLUMNS.vendors.join(',')}\n`);
  });

  it('any text round-trips through CSV (via csv-parse) and JSON Lines (property)', async () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 30 });
    const nonEmpty = text.filter((t) => t.trim() !== '');
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            id: nonEmpty,
            url: nonEmpty,
            name: text,
            currency: text,
            price: fc.double({ noNaN: true, noDefaultInfinity: true }),
          }),
          {
            maxLength: 30,
          },
        ),
        async (items) => {
          const raws = items.map((i) => ({
            id: i.id,
            url: i.url,
            name: i.name,
            price: { currency: i.currency, current_value: i.price },
          }));
          const fetchPage: FetchPage = async (req) => ({
            envelope: parseEnvelope({ data: req.page === 1 ? raws : [], pagination: { has_next: false } }),
            method: 'GET',
          });
          const csv = sink();
          await exportResults(new Results<Listing>('listings', fetchPage, { what: 'x' }), csv.out, {
            format: 'csv',
          });
          const rows = parseCsv(csv.text(), { columns: true, relax_column_count: false }) as Record<
            string,
            string
          >[];
          // What csv-stringify's escape_formulas writes for a cell: a leading quote before a formula start.
          const cell = (value: string) =>
            /^[=+\-@\t\r\uff1d\uff0b\uff0d\uff20]/.test(value) ? `'${value}` : value;
          const expectedRows = raws.map((r) => parseListing(r)!);
          expect(rows).toHaveLength(expectedRows.length);
          rows.forEach((row, i) => {
            const l = expectedRows[i]!;
            expect(row.id).toBe(cell(l.id));
            expect(row.url).toBe(cell(l.url));
            expect(row.name).toBe(cell(l.name ?? ''));
            expect(row.currency).toBe(cell(l.price?.currency ?? ''));
            // Numbers are never prefixed, negative ones included.
            expect(row.price).toBe(String(l.price?.currentValue));
          });
          const jsonl = sink();
          await exportResults(new Results<Listing>('listings', fetchPage, { what: 'x' }), jsonl.out, {
            format: 'jsonl',
          });
          const lines = jsonl.text().split('\n').slice(0, -1);
          expect(lines.map((l) => JSON.parse(l))).toEqual(
            JSON.parse(JSON.stringify(raws.filter((r) => parseListing(r)))),
          );
        },
      ),
      { numRuns: 150 },
    );
  });

  it("csvRecordEnds splits csv-stringify's output of many records into exactly the records it writes one by one (property)", () => {
    const cellText = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 12 }),
      fc.constantFrom(...NASTY, '"', '\n"', '\r', '""\n'),
    );
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.oneof(cellText, fc.integer()), { minLength: 1, maxLength: 4 }), {
          maxLength: 12,
        }),
        (rows) => {
          const options = { header: false, escape_formulas: true, record_delimiter: 'unix' } as const;
          const text = stringifyCsv(rows, options);
          const records = csvRecords(text);
          expect(records.join('')).toBe(text);
          expect(records).toEqual(rows.map((row) => stringifyCsv([row], options)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('CSV: every chunk handed to the stream is whole records, and no more than its buffer plus one record', async () => {
    const { out, chunks, maxBuffered } = slowSink(512);
    const { results } = source<Listing>('listings', 250, rawListing);
    await exportResults(results, out, { format: 'csv' });
    const longest = Math.max(...csvRecords(chunks.join('')).map((record) => Buffer.byteLength(record)));
    expect(chunks.length).toBeGreaterThan(10);
    const header = parseCsv(chunks[0]!) as string[][];
    expect(header[0]).toEqual([...CSV_COLUMNS.listings]);
    let rows = 0;
    for (const chunk of chunks.slice(1)) {
      // Each chunk parses on its own: no record is split across two writes.
      rows += (parseCsv(chunk, { relax_column_count: false }) as string[][]).length;
    }
    expect(rows).toBe(250);
    expect(maxBuffered()).toBeLessThanOrEqual(512 + longest);
  });

  it('first image: lowest position, else the first listed', () => {
    const l = parseListing({
      id: 'a',
      url: 'u',
      images: [{ url: 'x' }, { url: 'y', position: 3 }, { url: 'z', position: 1 }],
    })!;
    expect(firstImageUrl(l)).toBe('z');
    expect(firstImageUrl(parseListing({ id: 'a', url: 'u', images: [{ url: 'x' }, { url: 'y' }] })!)).toBe(
      'x',
    );
    expect(firstImageUrl(parseListing({ id: 'a', url: 'u' })!)).toBeUndefined();
  });
});

describe('exportResults: progress, limit, input', () => {
  it('reports pages read, items and total after each page', async () => {
    const { results } = source<Listing>('listings', 250, rawListing);
    const events: ExportProgress[] = [];
    await exportResults(results, sink().out, { format: 'jsonl', onProgress: (p) => events.push(p) });
    expect(events.map((e) => [e.pagesRead, e.items, e.total])).toEqual([
      [1, 100, 250],
      [2, 200, 250],
      [3, 250, 250],
    ]);
  });

  it('counts skipped items (no id/url) in progress and summary; they are not written', async () => {
    const { results } = source<Listing>('listings', 150, (n) =>
      n % 50 === 0 ? { name: 'no id' } : rawListing(n),
    );
    const events: ExportProgress[] = [];
    const { out, text } = sink();
    const summary = await exportResults(results, out, { format: 'jsonl', onProgress: (p) => events.push(p) });
    expect(events.map((e) => e.skipped)).toEqual([2, 3]);
    expect(summary).toMatchObject({ items: 147, skipped: 3, total: 150 });
    expect(text().trim().split('\n')).toHaveLength(147);
  });

  it('limit stops writing and fetching', async () => {
    let fetched = 0;
    const { results } = source<Listing>('listings', 1000, rawListing, () => fetched++);
    const { out, text } = sink();
    const summary = await exportResults(results, out, { format: 'jsonl', limit: 150 });
    expect(text().trim().split('\n')).toHaveLength(150);
    expect(fetched).toBe(2);
    expect(summary).toMatchObject({ items: 150, limited: true });
    expect(summary.stopReason).toBeUndefined();
  });

  it('rejects an unknown format or a bad limit with InvalidInputError', async () => {
    expect(() => validateExportFormat('xml')).toThrow(/"xml" is not supported: use jsonl, csv, json/);
    expect(validateExportFormat(' CSV ')).toBe('csv');
    const { results, atFetch } = source<Listing>('listings', 10, rawListing, () => 0);
    await expect(exportResults(results, sink().out, { format: 'xml' as never })).rejects.toBeInstanceOf(
      InvalidInputError,
    );
    await expect(exportResults(results, sink().out, { format: 'csv', limit: -1 })).rejects.toBeInstanceOf(
      InvalidInputError,
    );
    expect(atFetch).toHaveLength(0);
  });
});

describe('exportResults: backpressure and constant memory', () => {
  it('waits for drain: the stream never holds more than its buffer plus one item, and the next page waits', async () => {
    const s = slowSink(1024);
    let itemsWritten = 0;
    const needDrainAtFetch: boolean[] = [];
    const { results, atFetch } = source<Listing>('listings', 500, rawListing, () => {
      needDrainAtFetch.push(s.out.writableNeedDrain);
      return itemsWritten;
    });
    const summary = await exportResults(results, s.out, {
      format: 'jsonl',
      onProgress: (p) => {
        itemsWritten = p.items;
      },
    });
    expect(summary.items).toBe(500);
    const oneItem = Buffer.byteLength(`${JSON.stringify(rawListing(499))}\n`) + 64;
    expect(s.maxBuffered()).toBeLessThanOrEqual(1024 + oneItem);
    // Every page's items were handed to the stream before the next page was fetched: nothing accumulates.
    expect(atFetch).toEqual([0, 100, 200, 300, 400]);
    // And the stream had room again (drained) each time.
    expect(needDrainAtFetch).toEqual([false, false, false, false, false]);
    await new Promise<void>((resolve) => s.out.end(resolve));
    expect(s.received().trim().split('\n')).toHaveLength(500);
  });

  it('fails with OutputError when the stream errors (e.g. EPIPE), and with AbortedError when aborted while waiting', async () => {
    const broken = new Writable({
      highWaterMark: 16,
      write(_chunk, _enc, done) {
        done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    const a = source<Listing>('listings', 300, rawListing);
    const error = await exportResults(a.results, broken, { format: 'jsonl' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutputError);
    expect((error as OutputError).message).toMatch(/EPIPE/);

    const stuck = new Writable({ highWaterMark: 16, write() {} }); // never calls back: never drains
    const controller = new AbortController();
    const b = source<Listing>('listings', 300, rawListing);
    const pending = exportResults(b.results, stuck, { format: 'jsonl', signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toBeInstanceOf(AbortedError);
  });
});
