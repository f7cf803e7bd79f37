// The page loop shared by the three results endpoints. It reads one page at a time, yields it, and reads the
// next only when the consumer asks for more, so memory holds one page whatever the count. It cannot spin: the
// contract's four stop rules, plus a cap on pages for servers that send no paging information at all.
import { AbortedError, InvalidInputError, NetworkError } from '../errors.js';
import { type Envelope, KINDS } from './parse.js';
import type { Paging, ResultsKind, ResultsPage, ResultsStats, StopReason } from './types.js';

export const RESULTS_PAGE_SIZE = 100;
export const DEFAULT_MAX_PAGES = 100_000;

export interface PageRequest {
  page: number;
  pageSize: number;
  /** Pages successfully read before this one in the same read (0 for the first). */
  pagesRead: number;
  signal?: AbortSignal;
  deadline?: number;
}

export interface FetchedPage {
  envelope: Envelope;
  method: 'GET' | 'POST';
  requestId?: string;
}

/** Fetches one page; `undefined` means the API answered 404 (nothing indexed, or no such page). */
export type FetchPage = (request: PageRequest) => Promise<FetchedPage | undefined>;

export interface LoopOptions<T> {
  /** For messages, e.g. `listings of skims.com`. */
  what: string;
  pageSize?: number;
  maxPages?: number;
  signal?: AbortSignal;
  deadline?: number;
  now?: () => number;
  filter?: (item: T) => boolean;
}

/** What a full read keeps from page to page besides the stats. */
interface LoopState {
  /** Requests allowed in this read; every page is one request, so `page` reaching `cap` ends the loop. */
  cap: number;
  capReason: StopReason;
  firstPaging: Paging | undefined;
}

/** One page read: either the page (and its keys, to spot a repeat) or why the read stops without it. */
type PageRead<T> = { page: ResultsPage<T>; keys: string[]; stop?: undefined } | { stop: StopReason };

/**
 * What the results functions return: async-iterable over items (`for await (const l of listings)`), with
 * `pages()` for page-at-a-time reading. Each iteration is a fresh read from page 1; nothing is fetched until
 * iteration starts, and the next page is fetched only when the consumer asks for it.
 */
export class Results<T> implements AsyncIterable<T> {
  readonly kind: ResultsKind;
  /** For messages, e.g. `listings of skims.com`. */
  readonly what: string;
  /** Counts of the most recent read (live while it runs). */
  stats: ResultsStats = { pagesRead: 0, itemsRead: 0, skipped: 0, filteredOut: 0 };
  readonly #fetchPage: FetchPage;
  readonly #options: LoopOptions<T>;
  readonly #pageSize: number;
  readonly #maxPages: number;

  constructor(kind: ResultsKind, fetchPage: FetchPage, options: LoopOptions<T>) {
    this.kind = kind;
    this.what = options.what;
    this.#fetchPage = fetchPage;
    this.#options = options;
    this.#pageSize = options.pageSize ?? RESULTS_PAGE_SIZE;
    if (!Number.isInteger(this.#pageSize) || this.#pageSize < 1 || this.#pageSize > RESULTS_PAGE_SIZE) {
      throw new InvalidInputError(
        'pageSize',
        `pageSize must be a whole number from 1 to ${RESULTS_PAGE_SIZE} (the API's maximum)`,
      );
    }
    this.#maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
    if (!Number.isInteger(this.#maxPages) || this.#maxPages < 1) {
      throw new InvalidInputError('maxPages', 'maxPages must be a whole number >= 1');
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    // Not `for await (const page of ...)`: that local would keep the last page alive while the next is read.
    const pages = this.pages();
    let step: IteratorResult<ResultsPage<T>, void> | undefined;
    try {
      while (true) {
        step = undefined;
        step = await pages.next();
        if (step.done) return;
        yield* step.value.items;
      }
    } finally {
      await pages.return();
    }
  }

  async *pages(): AsyncGenerator<ResultsPage<T>, void, undefined> {
    const { signal, deadline } = this.#options;
    const stats: ResultsStats = { pagesRead: 0, itemsRead: 0, skipped: 0, filteredOut: 0 };
    this.stats = stats;
    const loop: LoopState = { cap: this.#maxPages, capReason: 'max_pages', firstPaging: undefined };
    let previousKeys: string[] | undefined;
    // A suspended generator keeps every local it has set, so a page held in one would stay alive (and be
    // copied by every minor GC) while the next page is requested. Only these two refer to a page: both are
    // cleared before each request, and the page leaves `read` as it is yielded, so that the consumer holds
    // the only reference and can free it (the exporter frees it item by item as it writes).
    let fetched: FetchedPage | undefined;
    let read: PageRead<T> | undefined;
    for (let page = 1; ; page++) {
      this.#guard(stats.pagesRead);
      read = undefined;
      fetched = undefined;
      fetched = await this.#fetchPage({
        page,
        pageSize: this.#pageSize,
        pagesRead: stats.pagesRead,
        signal,
        deadline,
      });
      if (fetched === undefined) {
        stats.stopReason = 'not_found';
        return;
      }
      read = this.#read(fetched, page, stats, loop, previousKeys);
      fetched = undefined;
      if (read.stop !== undefined) {
        stats.stopReason = read.stop;
        return;
      }
      previousKeys = read.keys;
      const last = read.page.last;
      yield handOver(read);
      if (last !== undefined) return;
    }
  }

  /** One page of a full read: its stop rules, the counts, and the page to yield. */
  #read(
    fetched: FetchedPage,
    page: number,
    stats: ResultsStats,
    loop: LoopState,
    previousKeys: string[] | undefined,
  ): PageRead<T> {
    const { envelope, method } = fetched;
    const paging = envelope.paging;
    stats.method = method;
    if (loop.firstPaging === undefined) {
      loop.firstPaging = paging;
      const totalPages = paging.totalPages ?? derivedTotalPages(paging, this.#pageSize);
      if (paging.totalItems !== undefined) stats.totalItems = paging.totalItems;
      if (totalPages !== undefined) {
        stats.totalPages = totalPages;
        // The contract's hard cap: never more than the first answer's total_pages + 1 requests.
        if (totalPages + 1 < loop.cap) {
          loop.cap = totalPages + 1;
          loop.capReason = 'hard_cap';
        }
      }
    }
    if (envelope.items.length === 0) return { stop: 'empty' };
    const keyOf = KINDS[this.kind].key as (item: T) => string;
    const { valid, items } = this.#items(envelope.items);
    const keys = valid.map(keyOf);
    if (previousKeys !== undefined && keys.length > 0 && sameKeys(keys, previousKeys)) {
      return { stop: 'repeated' };
    }
    stats.pagesRead++;
    stats.itemsRead += items.length;
    stats.skipped += envelope.items.length - valid.length;
    stats.filteredOut += valid.length - items.length;
    const rule = stopRule(page, paging, stats.totalPages, envelope.items.length, this.#pageSize);
    const last = rule ?? (page >= loop.cap ? loop.capReason : undefined);
    const result: ResultsPage<T> = {
      kind: this.kind,
      page,
      items,
      skipped: envelope.items.length - valid.length,
      filteredOut: valid.length - items.length,
      paging,
      pagesRead: stats.pagesRead,
      itemsRead: stats.itemsRead,
      method,
    };
    if (stats.totalItems !== undefined) result.totalItems = stats.totalItems;
    if (stats.totalPages !== undefined) result.totalPages = stats.totalPages;
    if (fetched.requestId !== undefined) result.requestId = fetched.requestId;
    if (last !== undefined) {
      result.last = last;
      stats.stopReason = last;
    }
    return { page: result, keys };
  }

  /**
   * Reads exactly page `n` (one request, with the same method fallback, validation and errors), for callers
   * that hand out one page at a time (an agent asking for page 3). `last` is set when the stop rules say it is
   * the last page (`not_found` or `empty` when there is nothing on it). `stats` is not touched.
   */
  async page(n: number): Promise<ResultsPage<T>> {
    if (!Number.isSafeInteger(n) || n < 1) {
      throw new InvalidInputError('page', 'page must be a whole number >= 1');
    }
    this.#guard(0);
    const { signal, deadline } = this.#options;
    const fetched = await this.#fetchPage({
      page: n,
      pageSize: this.#pageSize,
      pagesRead: 0,
      signal,
      deadline,
    });
    const received = fetched?.envelope.items ?? [];
    const paging = fetched?.envelope.paging ?? {};
    const { valid, items } = this.#items(received);
    const totalPages = paging.totalPages ?? derivedTotalPages(paging, this.#pageSize);
    const last: StopReason | undefined =
      fetched === undefined
        ? 'not_found'
        : received.length === 0
          ? 'empty'
          : stopRule(n, paging, totalPages, received.length, this.#pageSize);
    const result: ResultsPage<T> = {
      kind: this.kind,
      page: n,
      items,
      skipped: received.length - valid.length,
      filteredOut: valid.length - items.length,
      paging,
      pagesRead: fetched === undefined ? 0 : 1,
      itemsRead: items.length,
      method: fetched?.method ?? 'GET',
    };
    if (paging.totalItems !== undefined) result.totalItems = paging.totalItems;
    if (totalPages !== undefined) result.totalPages = totalPages;
    if (fetched?.requestId !== undefined) result.requestId = fetched.requestId;
    if (last !== undefined) result.last = last;
    return result;
  }

  /** Signal and deadline, checked before every request. */
  #guard(pagesRead: number): void {
    const { signal, deadline, what } = this.#options;
    const now = this.#options.now ?? Date.now;
    if (signal?.aborted) {
      throw new AbortedError(`Reading ${what} was aborted after ${pages(pagesRead)}`, {
        cause: signal.reason,
      });
    }
    if (deadline !== undefined && now() >= deadline) {
      throw new NetworkError(
        `Reading ${what} stopped after ${pages(pagesRead)}: the deadline passed; allow more time`,
        { timedOut: true, code: 'NOT_SENT' },
      );
    }
  }

  /** Valid items (required fields present), and those the filter keeps. */
  #items(received: unknown[]): { valid: T[]; items: T[] } {
    const parse = KINDS[this.kind].parse as (value: unknown) => T | undefined;
    const valid: T[] = [];
    for (const raw of received) {
      const item = parse(raw);
      if (item !== undefined) valid.push(item);
    }
    const filter = this.#options.filter;
    return { valid, items: filter ? valid.filter(filter) : valid };
  }
}

/**
 * Takes the page out of `read` and returns it: a call's result, unlike a local or a field of one, is not kept
 * by the suspended generator.
 */
function handOver<T>(read: { page?: ResultsPage<T> }): ResultsPage<T> {
  const { page } = read;
  read.page = undefined;
  return page as ResultsPage<T>;
}

/**
 * The contract's rules (has_next false, page >= total_pages; empty data and the hard cap are checked by the
 * loop), then the guard for answers without any paging information.
 */
function stopRule(
  asked: number,
  paging: Paging,
  firstTotalPages: number | undefined,
  received: number,
  pageSize: number,
): StopReason | undefined {
  if (paging.hasNext === false) return 'has_next_false';
  const totalPages = paging.totalPages ?? firstTotalPages;
  if (totalPages !== undefined && (paging.page ?? asked) >= totalPages) return 'total_pages';
  if (paging.hasNext === undefined && totalPages === undefined && received < (paging.pageSize ?? pageSize)) {
    return 'short_page';
  }
  return undefined;
}

function derivedTotalPages(paging: Paging, asked: number): number | undefined {
  if (paging.totalItems === undefined) return undefined;
  return Math.ceil(paging.totalItems / (paging.pageSize ?? asked));
}

function sameKeys(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((key, i) => key === b[i]);
}

function pages(n: number): string {
  return n === 1 ? '1 page' : `${n} pages`;
}
