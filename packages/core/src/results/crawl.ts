// "The results of this crawl": the API keys results by vendor, not by execution, so a completed crawl's
// output is its vendor's index read after completion. The since-start filters narrow that down, as labelled
// approximations.
import type { CatalogClient } from '../client.js';
import { validateExecutionId } from '../crawl.js';
import { CatalogError, InvalidInputError, InvalidResponseError } from '../errors.js';
import type { Crawl, RequestOptions } from '../types.js';
import { listCollections, listListings } from './endpoints.js';
import type { Results } from './pages.js';
import type { Collection, Listing, ListingsOptions, ResultsOptions } from './types.js';
import { validateVendor } from './vendor.js';

/** The label every face shows next to results filtered with `updatedSinceStart`. */
export const UPDATED_SINCE_START_NOTE =
  "Approximation: items whose last_updated_by_catalog is at or after the crawl's start (meta.start_date). " +
  "The API does not key results by crawl: an update of this vendor's index from another crawl in that time is included, and an item the crawl saw unchanged may be left out.";

/** The label every face shows next to results filtered with `newSinceStart`. */
export const NEW_SINCE_START_NOTE =
  "Approximation: listings whose first_seen_by_catalog is at or after the crawl's start (meta.start_date). " +
  'The API does not key results by crawl: a listing first indexed by another crawl of this vendor in that time is included.';

/** The crawl is not `completed`, so its vendor's results are not (yet) its output. */
export class CrawlNotCompletedError extends CatalogError {
  readonly executionId: string;
  /** The crawl's status when it was read: `pending`, `running`, `failed`, `canceled` (either spelling), or `unknown`. */
  readonly crawlStatus: string;
  /** `executionId` is the caller's (validated) id, not the API's echo of it. */
  constructor(executionId: string, status: string) {
    const id = executionId;
    // After a cancel the API may read `canceled` or `cancelled` (the DELETE's word): a cancelled crawl.
    const canceled = status === 'canceled' || status === 'cancelled';
    const what =
      status === 'failed' || canceled
        ? `crawl ${id} ${canceled ? 'was cancelled' : 'failed'}: it has no results of its own (its error is on the crawl's status); what is already indexed for its vendor can still be read by vendor`
        : status === 'pending' || status === 'running'
          ? `crawl ${id} is ${status}: its results can be read once it is completed; wait for it first`
          : // An unknown status is API text: not quoted, as this message may be printed anywhere.
            `crawl ${id} has a status other than pending, running, completed or failed: its results can be read once it is completed`;
    super(`${what[0]!.toUpperCase()}${what.slice(1)}`, 'CRAWL_NOT_COMPLETED');
    this.executionId = id;
    this.crawlStatus = canceled ? 'canceled' : KNOWN.includes(status) ? status : 'unknown';
  }
}

const KNOWN: readonly string[] = ['pending', 'running', 'completed', 'failed'];

/**
 * What a completed crawl reported finding, from the first present of: `meta.result`, `total_listings_found` /
 * `total_collections_found` (root, then `meta`), `meta.progress`.
 */
export function crawlTotals(crawl: Crawl): { collections?: number; listings?: number } {
  const raw = (crawl.raw ?? {}) as Record<string, unknown>;
  const meta = (typeof raw.meta === 'object' && raw.meta !== null ? raw.meta : {}) as Record<string, unknown>;
  const count = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);
  const totals: { collections?: number; listings?: number } = {};
  const listings =
    crawl.result?.listingsTotal ??
    count(raw.total_listings_found) ??
    count(meta.total_listings_found) ??
    crawl.progress?.listingsFound;
  if (listings !== undefined) totals.listings = listings;
  // The older guides' placement of the listings total; its collections twin is read the same way.
  const collections =
    crawl.result?.collectionsTotal ??
    count(raw.total_collections_found) ??
    count(meta.total_collections_found) ??
    crawl.progress?.collectionsFound;
  if (collections !== undefined) totals.collections = collections;
  return totals;
}

export interface CrawlResultsOptions extends ResultsOptions {
  /** Keep items with `last_updated_by_catalog >= meta.start_date` (an approximation, see UPDATED_SINCE_START_NOTE). */
  updatedSinceStart?: boolean;
  /** Keep listings with `first_seen_by_catalog >= meta.start_date` (an approximation, see NEW_SINCE_START_NOTE). */
  newSinceStart?: boolean;
  collectionUrls?: ListingsOptions['collectionUrls'];
  collectionUrlsStyle?: ListingsOptions['collectionUrlsStyle'];
}

export interface CrawlResults<T> {
  crawl: Crawl;
  vendor: string;
  /** What the crawl reported (`meta.result`, else `total_listings_found`, else `meta.progress`). */
  expected: { collections?: number; listings?: number };
  /** The labels of the filters in use; empty when the results are the vendor's whole index. */
  approximations: string[];
  results: Results<T>;
}

/**
 * Reads the crawl (GET /v2/crawl/{id}), refuses unless it is `completed` (CrawlNotCompletedError), and returns
 * its vendor's listings (or collections) with the since-start filters applied. Nothing is fetched from the
 * results endpoints until the returned `results` is iterated.
 */
export async function crawlResults(
  client: CatalogClient,
  executionId: string,
  what: 'listings',
  options?: CrawlResultsOptions,
): Promise<CrawlResults<Listing>>;
export async function crawlResults(
  client: CatalogClient,
  executionId: string,
  what: 'collections',
  options?: CrawlResultsOptions,
): Promise<CrawlResults<Collection>>;
export async function crawlResults(
  client: CatalogClient,
  executionId: string,
  what: 'listings' | 'collections',
  options?: CrawlResultsOptions,
): Promise<CrawlResults<Listing> | CrawlResults<Collection>>;
export async function crawlResults(
  client: CatalogClient,
  executionId: string,
  what: 'listings' | 'collections',
  options: CrawlResultsOptions = {},
): Promise<CrawlResults<Listing> | CrawlResults<Collection>> {
  if (what !== 'listings' && what !== 'collections') {
    throw new InvalidInputError('what', "what must be 'listings' or 'collections'");
  }
  if (what === 'collections' && options.newSinceStart) {
    throw new InvalidInputError(
      'newSinceStart',
      'newSinceStart applies to listings only: collections carry no first_seen_by_catalog',
    );
  }
  if (what === 'collections' && options.collectionUrls !== undefined) {
    throw new InvalidInputError('collectionUrls', 'collectionUrls applies to listings only');
  }
  const requestOptions: RequestOptions = {};
  if (options.signal) requestOptions.signal = options.signal;
  if (options.deadline !== undefined) requestOptions.deadline = options.deadline;
  if (options.timeoutMs !== undefined) requestOptions.timeoutMs = options.timeoutMs;
  if (options.onRetry) requestOptions.onRetry = options.onRetry;
  const id = validateExecutionId(executionId);
  const crawl = await client.getCrawl(id, requestOptions);
  if (crawl.status !== 'completed') throw new CrawlNotCompletedError(id, crawl.status);
  if (crawl.vendor === undefined) {
    throw new InvalidResponseError(
      `GET /v2/crawl/{id} says crawl ${id} is completed but gives no meta.vendor, so its results cannot be read; read them by vendor instead${crawl.requestId ? ` (request id ${crawl.requestId})` : ''}`,
      'INVALID_RESPONSE',
      { requestId: crawl.requestId },
    );
  }
  let vendor: string;
  try {
    vendor = validateVendor(crawl.vendor);
  } catch {
    throw new InvalidResponseError(
      // The value itself is not quoted: it is API text, and this message may be printed anywhere.
      `GET /v2/crawl/{id} gives a meta.vendor that is not a hostname for crawl ${id}; read the results by vendor instead${crawl.requestId ? ` (request id ${crawl.requestId})` : ''}`,
      'INVALID_RESPONSE',
      { requestId: crawl.requestId },
    );
  }
  const approximations: string[] = [];
  const checks: ((item: Listing | Collection) => boolean)[] = [];
  if (options.updatedSinceStart || options.newSinceStart) {
    const start = crawl.startDate === undefined ? Number.NaN : Date.parse(crawl.startDate);
    if (Number.isNaN(start)) {
      throw new InvalidResponseError(
        `Crawl ${id} has no readable meta.start_date, which the since-start filters compare with; read without them`,
        'INVALID_RESPONSE',
        { requestId: crawl.requestId },
      );
    }
    // Timestamps are compared as instants, not as strings (offsets and precision vary). An item without a
    // readable timestamp cannot be shown to be recent, so it is left out.
    const since = (value: string | undefined) => value !== undefined && Date.parse(value) >= start;
    if (options.updatedSinceStart) {
      approximations.push(UPDATED_SINCE_START_NOTE);
      checks.push((item) => since(item.lastUpdatedByCatalog));
    }
    if (options.newSinceStart) {
      approximations.push(NEW_SINCE_START_NOTE);
      checks.push((item) => since((item as Listing).firstSeenByCatalog));
    }
  }
  const filter =
    checks.length === 0 ? undefined : (item: Listing | Collection) => checks.every((c) => c(item));
  const { updatedSinceStart: _u, newSinceStart: _n, ...rest } = options;
  const base = { crawl, vendor, expected: crawlTotals(crawl), approximations };
  if (what === 'collections') {
    const collectionOptions = filter ? { ...rest, filter } : rest;
    return { ...base, results: listCollections(client, vendor, collectionOptions) };
  }
  return { ...base, results: listListings(client, vendor, filter ? { ...rest, filter } : rest) };
}
