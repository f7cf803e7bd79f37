// Streams results to a Writable in JSON Lines, CSV or a JSON array. One page is in memory at a time: the next
// page is fetched only after the current one was handed to the stream and the stream had room (backpressure).
import type { Writable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import { AbortedError, CatalogError, InvalidInputError } from '../errors.js';
import type { Results } from './pages.js';
import type {
  Collection,
  Listing,
  ResultItem,
  ResultsKind,
  ResultsPage,
  StopReason,
  Vendor,
} from './types.js';

export const EXPORT_FORMATS = ['jsonl', 'csv', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Returns the format, or throws InvalidInputError('format') naming the accepted ones. */
export function validateExportFormat(format: unknown): ExportFormat {
  const value = typeof format === 'string' ? format.trim().toLowerCase() : format;
  if (typeof value === 'string' && (EXPORT_FORMATS as readonly string[]).includes(value)) {
    return value as ExportFormat;
  }
  const shown = typeof format === 'string' ? JSON.stringify(format.slice(0, 40)) : String(format);
  throw new InvalidInputError('format', `format ${shown} is not supported: use ${EXPORT_FORMATS.join(', ')}`);
}

/**
 * CSV columns per kind. Nested fields are flattened: `image_url` is the first image (lowest `position`, else
 * the first listed), `price`/`currency`/`compare_at_price` come from `price`. JSON Lines and JSON keep every
 * field as the API sent it.
 */
export const CSV_COLUMNS = {
  listings: [
    'id',
    'name',
    'url',
    'price',
    'currency',
    'compare_at_price',
    'image_url',
    'image_count',
    'vendor',
    'first_seen_by_catalog',
    'last_updated_by_catalog',
  ],
  collections: ['id', 'url', 'products_total', 'last_updated_by_catalog'],
  vendors: [
    'vendor',
    'listings_count',
    'collections_count',
    'last_updated_by_catalog',
    'in_affiliate_network',
  ],
} as const satisfies Record<ResultsKind, readonly string[]>;

type Row = Record<string, string | number>;

/** Numbers stay numbers, so that csv-stringify does not take a negative one for a formula; booleans read true/false. */
const cell = (value: string | number | boolean | null | undefined): string | number =>
  value === undefined || value === null ? '' : typeof value === 'number' ? value : String(value);

/** The image a thumbnail should show: lowest `position`, else the first. */
export function firstImageUrl(listing: Listing): string | undefined {
  let best = listing.images[0];
  for (const image of listing.images) {
    if (image.position !== undefined && (best?.position === undefined || image.position < best.position)) {
      best = image;
    }
  }
  return best?.url;
}

/** A field of a flattened item: as the API gave it, `null` where the API said null, `undefined` where it said nothing. */
export type FlatValue = string | number | boolean | null | undefined;

/**
 * An item flattened into the documented columns of its kind (`CSV_COLUMNS`), values kept as typed values.
 * The CSV exporter and any face that shows items (the MCP server's pages) read items through this one mapping.
 */
export function flatItem(kind: ResultsKind, item: ResultItem): Record<string, FlatValue> {
  if (kind === 'listings') {
    const l = item as Listing;
    return {
      id: l.id,
      name: l.name,
      url: l.url,
      price: l.price?.currentValue,
      currency: l.price?.currency,
      compare_at_price: l.price?.compareAtValue,
      image_url: firstImageUrl(l),
      image_count: l.images.length,
      vendor: l.vendor,
      first_seen_by_catalog: l.firstSeenByCatalog,
      last_updated_by_catalog: l.lastUpdatedByCatalog,
    };
  }
  if (kind === 'collections') {
    const c = item as Collection;
    return {
      id: c.id,
      url: c.url,
      products_total: c.productsTotal,
      last_updated_by_catalog: c.lastUpdatedByCatalog,
    };
  }
  const v = item as Vendor;
  return {
    vendor: v.vendor,
    listings_count: v.listingsCount,
    collections_count: v.collectionsCount,
    last_updated_by_catalog: v.lastUpdatedByCatalog,
    in_affiliate_network: v.inAffiliateNetwork,
  };
}

/** The CSV row of an item, keyed by the columns of its kind. */
export function csvRow(kind: ResultsKind, item: ResultItem): Row {
  const row: Row = {};
  for (const [column, value] of Object.entries(flatItem(kind, item))) row[column] = cell(value);
  return row;
}

export interface ExportProgress {
  format: ExportFormat;
  kind: ResultsKind;
  pagesRead: number;
  /** Items written so far. */
  items: number;
  /** The API's `total_items` (before any filter), when it sent one. */
  total?: number;
  /** Items dropped for lacking a required field. */
  skipped: number;
  /** Items left out by a filter (e.g. updated-since-start). */
  filteredOut: number;
}

export interface ExportSummary extends ExportProgress {
  /** Why the read ended; undefined when `limit` stopped it first. */
  stopReason?: StopReason;
  /** True when `limit` items were written and the read was stopped there. */
  limited: boolean;
  bytes: number;
}

export interface ExportOptions {
  format: ExportFormat;
  /** Stop after this many items (no further page is fetched). */
  limit?: number;
  /** Aborts waiting for the stream; the read itself takes the signal given to listListings & co. */
  signal?: AbortSignal;
  /** Called after each page was written. */
  onProgress?: (progress: ExportProgress) => void;
  /** CSV: write the header row even when there is no item. Default true. */
  header?: boolean;
}

/** The Writable failed or closed before the export finished. `cause` is the stream's error. */
export class OutputError extends CatalogError {
  constructor(message: string, cause?: unknown) {
    super(message, 'OUTPUT_ERROR', { cause });
  }
}

/**
 * Writes every item of `results` to `out` and resolves with the counts. Does not end `out` (it may be stdout).
 * JSON Lines and JSON write each item as the API sent it (`raw`, unknown fields kept); CSV writes
 * `CSV_COLUMNS[kind]`, with text cells that start like a spreadsheet formula (`=`, `+`, `-`, `@`, their
 * full-width forms, tab, CR) prefixed by `'` (csv-stringify's `escape_formulas`): the text comes from crawled
 * websites. Numbers are written as numbers, never prefixed.
 */
export async function exportResults(
  results: Results<Vendor> | Results<Collection> | Results<Listing>,
  out: Writable,
  options: ExportOptions,
): Promise<ExportSummary> {
  const format = validateExportFormat(options?.format);
  const limit = options.limit;
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) {
    throw new InvalidInputError('limit', 'limit must be a whole number >= 0');
  }
  const { kind } = results;
  const columns = CSV_COLUMNS[kind] as readonly string[];
  const writer = new StreamWriter(out, options.signal);
  const progress: ExportProgress = { format, kind, pagesRead: 0, items: 0, skipped: 0, filteredOut: 0 };
  let limited = false;
  let stopReason: StopReason | undefined;
  /**
   * Writes the items of one page; true when `limit` is reached. `items` is the exporter's own copy of the page's
   * list, and each item is dropped from it once encoded: nothing else refers to the page by then (see the
   * loop below), so what a minor GC finds alive is what is left to write, not the whole page.
   */
  const writeItems = async (items: (ResultItem | undefined)[], counts: PageCounts): Promise<boolean> => {
    let reached = false;
    const wanted = limit === undefined ? items.length : Math.min(items.length, limit - progress.items);
    if (format === 'csv') {
      const rows: (string | number)[][] = [];
      for (let i = 0; i < wanted; i++) {
        rows.push(csvCells(kind, columns, items[i]!));
        items[i] = undefined;
      }
      // One call per page: csv-stringify's set-up per call costs more than the rows it writes.
      const text = stringify(rows, CSV_OPTIONS);
      rows.length = 0;
      let start = 0;
      for (const end of csvRecordEnds(text)) {
        await writer.add(text.slice(start, end));
        start = end;
      }
    } else {
      for (let i = 0; i < wanted; i++) {
        const json = JSON.stringify(items[i]!.raw);
        items[i] = undefined;
        if (format === 'jsonl') await writer.add(json, '', '\n');
        else await writer.add(json, progress.items + i === 0 ? '\n' : ',\n');
      }
    }
    progress.items += wanted;
    if (limit !== undefined && progress.items >= limit) reached = true;
    await writer.flush();
    progress.pagesRead = counts.pagesRead;
    progress.skipped += counts.skipped;
    progress.filteredOut += counts.filteredOut;
    if (counts.totalItems !== undefined) progress.total = counts.totalItems;
    options.onProgress?.({ ...progress });
    return reached;
  };
  try {
    if (format === 'csv' && options.header !== false) {
      await writer.write(stringify([columns as string[]]));
    }
    if (format === 'json') await writer.write('[');
    if (limit === 0) limited = true;
    else {
      // Not `for await (const page of ...)`: a suspended function keeps its locals, so the page would stay
      // alive while it is written and while the next is read. `step` is the only local that holds a page, and
      // only until its items and counts are taken out.
      const pages = results.pages() as AsyncGenerator<ResultsPage<ResultItem>, void, undefined>;
      let step: IteratorResult<ResultsPage<ResultItem>, void> | undefined;
      try {
        while (!limited) {
          step = undefined;
          step = await pages.next();
          if (step.done) break;
          const { items, counts } = takePage(step.value);
          step = undefined;
          limited = await writeItems(items, counts);
        }
      } finally {
        await pages.return();
      }
      stopReason = limited ? undefined : results.stats.stopReason;
    }
    if (format === 'json') await writer.write(progress.items === 0 ? ']\n' : '\n]\n');
  } finally {
    writer.dispose();
  }
  const summary: ExportSummary = { ...progress, limited, bytes: writer.bytes };
  if (stopReason !== undefined) summary.stopReason = stopReason;
  return summary;
}

type PageCounts = Pick<ResultsPage<ResultItem>, 'pagesRead' | 'skipped' | 'filteredOut' | 'totalItems'>;

/** A copy of the page's item list and its counts: what the exporter keeps of a page. */
function takePage(page: ResultsPage<ResultItem>): { items: (ResultItem | undefined)[]; counts: PageCounts } {
  const { pagesRead, skipped, filteredOut, totalItems } = page;
  return { items: page.items.slice(), counts: { pagesRead, skipped, filteredOut, totalItems } };
}

// Records end with a bare `\n` (`unix`), which `csvRecordEnds` relies on.
const CSV_OPTIONS = { header: false, escape_formulas: true, record_delimiter: 'unix' } as const;

/** The cells of an item's CSV record, in the order of `columns`. */
function csvCells(kind: ResultsKind, columns: readonly string[], item: ResultItem): (string | number)[] {
  const flat = flatItem(kind, item);
  return columns.map((column) => cell(flat[column]));
}

/**
 * Where each record of csv-stringify's output ends (just after its `\n`). A `\n` ends a record unless it is
 * inside a quoted field: csv-stringify quotes every field that holds a quote, `\n` or `\r`, and doubles the
 * quotes inside, so a `\n` is inside a field exactly when an odd number of quotes precede it.
 */
export function csvRecordEnds(text: string): number[] {
  const ends: number[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x22) quoted = !quoted;
    else if (code === 0x0a && !quoted) ends.push(i + 1);
  }
  return ends;
}

/** Writes with backpressure: after a `false` from write(), waits for 'drain' (or fails on error/close/abort). */
class StreamWriter {
  bytes = 0;
  #chunk: Buffer | undefined;
  #used = 0;
  #error: unknown;
  readonly #onError = (error: unknown) => {
    this.#error ??= error;
  };

  constructor(
    private readonly out: Writable,
    private readonly signal: AbortSignal | undefined,
  ) {
    // Keeps a stream error (EPIPE when piped into `head`) from being an unhandled 'error' event.
    out.on('error', this.#onError);
  }

  /**
   * Adds `prefix + text + suffix` (prefix and suffix ASCII) to the chunk being filled, writing the chunk first
   * when the item does not fit. A chunk is sized to the stream's free room when it starts (or to one item, when
   * that is larger), so the stream never holds more than its buffer plus one item. Chunks are Buffers: an item
   * is encoded straight into memory outside the JS heap, and one write per chunk, not per item, keeps the
   * allocations per page low enough that memory stays flat however many pages follow.
   */
  async add(text: string, prefix = '', suffix = ''): Promise<void> {
    const bytes = prefix.length + Buffer.byteLength(text) + suffix.length;
    if (this.#chunk !== undefined && this.#used + bytes > this.#chunk.length) await this.flush();
    if (this.#chunk === undefined) {
      const room = this.out.writableHighWaterMark - this.out.writableLength;
      this.#chunk = Buffer.allocUnsafe(Math.max(room, bytes));
    }
    const chunk = this.#chunk;
    if (prefix !== '') this.#used += chunk.write(prefix, this.#used, 'latin1');
    this.#used += chunk.write(text, this.#used, 'utf8');
    if (suffix !== '') this.#used += chunk.write(suffix, this.#used, 'latin1');
  }

  /** Writes the chunk being filled, if any. */
  async flush(): Promise<void> {
    const chunk = this.#chunk;
    if (chunk === undefined || this.#used === 0) return;
    const used = this.#used;
    this.#chunk = undefined;
    this.#used = 0;
    await this.write(used === chunk.length ? chunk : chunk.subarray(0, used));
  }

  async write(chunk: string | Buffer): Promise<void> {
    this.#check();
    this.bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    if (!this.out.write(chunk)) await this.#drain();
    this.#check();
  }

  dispose(): void {
    this.out.off('error', this.#onError);
  }

  #check(): void {
    if (this.signal?.aborted) throw new AbortedError('The export was aborted', { cause: this.signal.reason });
    if (this.#error !== undefined) throw outputError(this.#error);
    if (this.out.destroyed || this.out.writableEnded) {
      throw new OutputError('The output was closed before the export finished');
    }
  }

  #drain(): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (fn: () => void) => () => {
        this.out.off('drain', onDrain);
        this.out.off('error', onError);
        this.out.off('close', onClose);
        this.signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const onDrain = done(resolve);
      const onError = (error: unknown) => done(() => reject(outputError(error)))();
      const onClose = done(() => reject(new OutputError('The output was closed before the export finished')));
      const onAbort = done(() =>
        reject(new AbortedError('The export was aborted', { cause: this.signal?.reason })),
      );
      this.out.once('drain', onDrain);
      this.out.once('error', onError);
      this.out.once('close', onClose);
      this.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

function outputError(error: unknown): OutputError {
  const code = (error as { code?: unknown })?.code;
  const what = error instanceof Error ? error.message : String(error);
  return new OutputError(
    `Could not write the export: ${what}${typeof code === 'string' && !what.includes(code) ? ` (${code})` : ''}`,
    error,
  );
}
