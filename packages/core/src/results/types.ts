import type { RetryInfo } from '../types.js';

/** The three results endpoints: `/v2/vendors`, `/v2/collections`, `/v2/listings`. */
export type ResultsKind = 'vendors' | 'collections' | 'listings';

/** One item of `/v2/vendors` (old pages name the counts `product_count`, the time `latest_product_update_by_catalog`). */
export interface Vendor {
  /** Hostname, e.g. `skims.com`. */
  vendor: string;
  lastUpdatedByCatalog?: string;
  listingsCount?: number;
  collectionsCount?: number;
  inAffiliateNetwork?: boolean;
  /** The item exactly as received, unknown fields included. */
  raw: Record<string, unknown>;
}

/** One item of `/v2/collections`. A product can be in several collections: never sum `productsTotal`. */
export interface Collection {
  /** Absent when the API sent none; `url` is always there. */
  id?: string;
  url: string;
  productsTotal?: number;
  lastUpdatedByCatalog?: string;
  raw: Record<string, unknown>;
}

export interface ListingImage {
  url: string;
  id?: string;
  width?: number;
  height?: number;
  position?: number;
}

export interface ListingPrice {
  currency?: string;
  currentValue?: number;
  /** `null` when the API says there is none. */
  compareAtValue?: number | null;
}

/** One item of `/v2/listings`. Only `id` and `url` are required; everything else is optional. */
export interface Listing {
  id: string;
  url: string;
  name?: string;
  /** Images with a URL, in the order received. */
  images: ListingImage[];
  price?: ListingPrice;
  vendor?: string;
  firstSeenByCatalog?: string;
  lastUpdatedByCatalog?: string;
  raw: Record<string, unknown>;
}

export type ResultItem = Vendor | Collection | Listing;

/** Paging information as one answer gave it (v2 `pagination`, or v1 `meta`); absent fields stay undefined. */
export interface Paging {
  page?: number;
  pageSize?: number;
  totalItems?: number;
  totalPages?: number;
  hasNext?: boolean;
}

/**
 * Why a read ended. The first four are the contract's rules; the others are this client's extra guards.
 * - `has_next_false`: the answer said `has_next: false`.
 * - `empty`: the answer had no items (on the first page: nothing indexed).
 * - `total_pages`: the answer's page number reached `total_pages`.
 * - `hard_cap`: `total_pages + 1` of the first answer requests were made (a server that repeats pages).
 * - `not_found`: 404 (on the first page: nothing indexed for this vendor).
 * - `repeated`: a page had exactly the same items as the one before it (not yielded again).
 * - `short_page`: no paging information at all and fewer items than the page size.
 * - `max_pages`: the `maxPages` option was reached.
 */
export type StopReason =
  | 'has_next_false'
  | 'empty'
  | 'total_pages'
  | 'hard_cap'
  | 'not_found'
  | 'repeated'
  | 'short_page'
  | 'max_pages';

/** One page as the iterators yield it. */
export interface ResultsPage<T> {
  kind: ResultsKind;
  /** The page number asked for (1-based). */
  page: number;
  /** Items kept: valid, and accepted by the filter when there is one. */
  items: T[];
  /** Items dropped because they lacked a required field (`id`/`url`, `vendor`). */
  skipped: number;
  /** Valid items the filter left out. */
  filteredOut: number;
  paging: Paging;
  /** Pages read so far in this read, this one included. */
  pagesRead: number;
  /** Items kept so far in this read, this page included. */
  itemsRead: number;
  /** `total_items` of the first answer (before any filter), when it sent one. */
  totalItems?: number;
  /** `total_pages` of the first answer, or derived from its `total_items`. */
  totalPages?: number;
  /** Set on the last page when a stop rule already applies to it. */
  last?: StopReason;
  method: 'GET' | 'POST';
  requestId?: string;
}

/** Counts of the most recent read of a `Results` (updated as it goes). */
export interface ResultsStats {
  pagesRead: number;
  itemsRead: number;
  skipped: number;
  filteredOut: number;
  totalItems?: number;
  totalPages?: number;
  /** Undefined while reading, or when the consumer stopped early. */
  stopReason?: StopReason;
  method?: 'GET' | 'POST';
}

export interface ResultsOptions {
  signal?: AbortSignal;
  /** Epoch ms (on `now`'s clock) after which no request starts and each request's timeout is cut to the time left. */
  deadline?: number;
  /** Per-request timeout, as for the crawl calls. */
  timeoutMs?: number;
  onRetry?: (info: RetryInfo) => void;
  /** Items per request, 1..100. Default 100 (always sent: v1 defaulted to 10, v2 to 20). */
  pageSize?: number;
  /** Upper bound on pages per read, whatever the server says. Default 100_000. */
  maxPages?: number;
  /** Clock for `deadline`. Default `Date.now` (give the client the same clock). */
  now?: () => number;
}

export interface ListingsOptions extends ResultsOptions {
  /**
   * Only listings of these collection page URLs (`collection_urls`). The contract does not say how an array
   * travels in a query string: by default the key is repeated (`collection_urls=a&collection_urls=b`);
   * `collectionUrlsStyle: 'comma'` sends one comma-joined value instead. A POST sends a JSON array.
   */
  collectionUrls?: readonly string[];
  collectionUrlsStyle?: 'repeat' | 'comma';
  /** Keep only the listings for which this returns true (counted in `filteredOut` otherwise). */
  filter?: (listing: Listing) => boolean;
}

export interface CollectionsOptions extends ResultsOptions {
  filter?: (collection: Collection) => boolean;
}
