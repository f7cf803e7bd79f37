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
  /** Writes one page's items; true when `limit` is reached. */
  const writePage = async (page: ResultsPage<ResultItem>): Promise<boolean> => {
    let reached = false;
    for (const item of page.items) {
      await writer.write(encode(format, kind, columns, item, progress.items === 0));
      progress.items++;
      if (limit !== undefined && progress.items >= limit) {
        reached = true;
        break;
      }
    }
    progress.pagesRead = page.pagesRead;
    progress.skipped += page.skipped;
    progress.filteredOut += page.filteredOut;
    if (page.totalItems !== undefined) progress.total = page.totalItems;
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
      // Not `for await (const page of ...)`: a suspended function keeps its locals, so the last page would stay
      // alive while the next is read. `step` is the only one holding a page here, cleared before each read.
      const pages = results.pages() as AsyncGenerator<ResultsPage<ResultItem>, void, undefined>;
      let step: IteratorResult<ResultsPage<ResultItem>, void> | undefined;
      try {
        while (!limited) {
          step = undefined;
          step = await pages.next();
          if (step.done) break;
          limited = await writePage(step.value);
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

function encode(
  format: ExportFormat,
  kind: ResultsKind,
  columns: readonly string[],
  item: ResultItem,
  first: boolean,
): string {
  if (format === 'jsonl') return `${JSON.stringify(item.raw)}\n`;
  if (format === 'json') return `${first ? '\n' : ',\n'}${JSON.stringify(item.raw)}`;
  return stringify([csvRow(kind, item)], {
    columns: columns as string[],
    header: false,
    escape_formulas: true,
  });
}

/** Writes with backpressure: after a `false` from write(), waits for 'drain' (or fails on error/close/abort). */
class StreamWriter {
  bytes = 0;
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

  async write(chunk: string): Promise<void> {
    this.#check();
    this.bytes += Buffer.byteLength(chunk);
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
