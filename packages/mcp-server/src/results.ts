import {
  type CatalogClient,
  type Collection,
  CSV_COLUMNS,
  crawlTotals,
  flatItem,
  formatCount,
  InvalidInputError,
  type Listing,
  listCollections,
  listListings,
  type ResultsPage,
} from '@catalog-crawl/core';
import { withinBound } from './bound.js';
import type { ToolContext } from './context.js';
import { truncate } from './format.js';
import { readStatus } from './tools/get-crawl-status.js';

/**
 * Results pages for agents: a crawl's (or a vendor's) collections or listings, one bounded page at a time.
 * Agents' context is the budget: items carry a chosen set of flat fields, every text is cut to a fixed length,
 * and a page holds at most 50 items, so one answer stays under MAX_RESULT_BYTES whatever the API sends.
 */

export const RESULT_KINDS = ['listings', 'collections'] as const;
export type ResultKind = (typeof RESULT_KINDS)[number];

export const MAX_RESULTS_PAGE_SIZE = 50;
export const DEFAULT_RESULTS_PAGE_SIZE = 10;
/** Documented bound of one get_crawl_results answer (structured content and text together). */
export const MAX_RESULT_BYTES = 64 * 1024;

/** The fields an item can carry: core's flat columns, the same as the CSV export's. */
export const LISTING_FIELDS = CSV_COLUMNS.listings;
export const COLLECTION_FIELDS = CSV_COLUMNS.collections;
export const RESULT_FIELDS = [...new Set([...LISTING_FIELDS, ...COLLECTION_FIELDS])] as [string, ...string[]];
export const DEFAULT_LISTING_FIELDS = ['id', 'name', 'url', 'price', 'currency', 'image_url'] as const;

/** Longest text kept per field: URLs and names from crawled sites can be anything. */
const MAX_TEXT: Record<string, number> = { name: 200, url: 500, image_url: 500, id: 120, vendor: 120 };
const MAX_OTHER_TEXT = 40;

export type ResultItem = Record<string, string | number | null>;

export interface ResultsAnswer {
  kind: ResultKind;
  vendor: string;
  execution_id?: string;
  page: number;
  page_size: number;
  fields: string[];
  items: ResultItem[];
  total_items?: number;
  total_pages?: number;
  /** What the crawl reported (by execution id only). */
  crawl_total?: number;
  has_more: boolean;
  next_page?: number;
  /** Some text was cut to its maximum length. */
  truncated: boolean;
  resource_uri: string;
  next_step: string;
}

interface Cut {
  any: boolean;
  /** Share of the maximum lengths kept (1 first; smaller when a page would not fit the answer's bound). */
  scale: number;
}

function text(field: string, value: unknown, cut: Cut): string | undefined {
  if (typeof value !== 'string') return undefined;
  const max = Math.max(8, Math.floor((MAX_TEXT[field] ?? MAX_OTHER_TEXT) * cut.scale));
  if (value.length > max) cut.any = true;
  return truncate(value, max);
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** An item's chosen fields from core's flat mapping, every text cut to its maximum length. */
function agentItem(
  kind: ResultKind,
  item: Listing | Collection,
  fields: readonly string[],
  cut: Cut,
): ResultItem {
  const flat = flatItem(kind, item);
  const all: Record<string, string | number | null | undefined> = {};
  for (const [field, value] of Object.entries(flat)) {
    all[field] = value === null ? null : typeof value === 'string' ? text(field, value, cut) : num(value);
  }
  return pick(all, fields);
}

function pick(
  all: Record<string, string | number | null | undefined>,
  fields: readonly string[],
): ResultItem {
  const item: ResultItem = {};
  for (const field of fields) {
    const value = all[field];
    if (value !== undefined) item[field] = value;
  }
  return item;
}

/** `catalog-crawl://vendors/{vendor}/listings/{page}`: a vendor's listings page as a resource. */
export const LISTINGS_TEMPLATE = 'catalog-crawl://vendors/{vendor}/listings/{page}';

export function listingsPageUri(vendor: string, page: number): string {
  return `catalog-crawl://vendors/${encodeURIComponent(vendor)}/listings/${page}`;
}

export interface ResultsRequest {
  kind: ResultKind;
  vendor?: string;
  executionId?: string;
  page: number;
  pageSize: number;
  fields?: readonly string[];
}

/** Checks the fields asked for against the kind; the default set when none. */
export function resolveFields(kind: ResultKind, fields: readonly string[] | undefined): string[] {
  const allowed: readonly string[] = kind === 'listings' ? LISTING_FIELDS : COLLECTION_FIELDS;
  if (!fields || fields.length === 0)
    return [...(kind === 'listings' ? DEFAULT_LISTING_FIELDS : COLLECTION_FIELDS)];
  const wrong = fields.filter((f) => !allowed.includes(f));
  if (wrong.length > 0) {
    throw new InvalidInputError(
      'fields',
      `${wrong.join(', ')} ${wrong.length === 1 ? 'is not a field' : 'are not fields'} of ${kind}; choose from ${allowed.join(', ')}`,
    );
  }
  return [...new Set(fields)];
}

/**
 * Reads one page. By execution id, the crawl comes from the shared view (no extra status read per page) and
 * must be completed; its vendor is then read like any other. Within the tool's bound.
 */
export async function readResultsPage(
  ctx: ToolContext,
  request: ResultsRequest,
  signal: AbortSignal,
): Promise<ResultsAnswer> {
  const fields = resolveFields(request.kind, request.fields);
  let vendor = request.vendor;
  let crawlTotal: number | undefined;
  if (request.executionId !== undefined) {
    const { out, view } = await readStatus(ctx, request.executionId, signal);
    if (out.status !== 'completed') {
      throw new InvalidInputError(
        'execution_id',
        out.finished
          ? `crawl ${out.execution_id} ended ${out.status}, not completed: it has no results to read. Start a new crawl with start_crawl.`
          : `crawl ${out.execution_id} is still ${out.status} (status read ${Math.round(out.checked_seconds_ago)} s ago): its results can be read once it is completed. Call wait_for_crawl with this execution_id first.`,
      );
    }
    vendor = view.crawl?.vendor;
    if (!vendor) {
      throw new InvalidInputError(
        'execution_id',
        `crawl ${out.execution_id} does not name its vendor, so its results cannot be looked up: call get_crawl_results with vendor set to the crawled site's hostname instead.`,
      );
    }
    const totals = view.crawl ? crawlTotals(view.crawl) : {};
    crawlTotal = request.kind === 'listings' ? totals.listings : totals.collections;
  }
  if (vendor === undefined) {
    throw new InvalidInputError(
      'vendor',
      'pass execution_id (a completed crawl) or vendor (a hostname such as "skims.com")',
    );
  }
  const client: CatalogClient = ctx.getClient();
  const host = vendor;
  const page = await withinBound(ctx, signal, async (budget) => {
    const options = { pageSize: request.pageSize, signal: budget.signal, deadline: budget.deadline };
    return request.kind === 'listings'
      ? (listListings(client, host, options).page(request.page) as Promise<ResultsPage<Listing | Collection>>)
      : (listCollections(client, host, options).page(request.page) as Promise<
          ResultsPage<Listing | Collection>
        >);
  });
  // Texts are cut to fixed lengths; if a page of hostile texts (escapes included) would still pass the bound,
  // the lengths shrink until the whole answer, text summary included, fits.
  let answer: ResultsAnswer | undefined;
  for (const scale of [1, 0.5, 0.25, 0.1, 0.05]) {
    const cut: Cut = { any: false, scale };
    answer = buildAnswer(request, host, fields, page, cut, crawlTotal);
    if (answerBytes(answer) <= MAX_RESULT_BYTES - ENVELOPE_BYTES) break;
  }
  return answer!;
}

/** Room kept for the JSON-RPC envelope and content wrappers around the answer. */
const ENVELOPE_BYTES = 2_048;

function answerBytes(answer: ResultsAnswer): number {
  return Buffer.byteLength(JSON.stringify(answer)) + Buffer.byteLength(JSON.stringify(resultsText(answer)));
}

function buildAnswer(
  request: ResultsRequest,
  host: string,
  fields: string[],
  page: ResultsPage<Listing | Collection>,
  cut: Cut,
  crawlTotal: number | undefined,
): ResultsAnswer {
  // A server that repeats its last page (has_next true, total_pages growing) must not keep an agent paging:
  // nothing exists past total_items, and the page that reaches it is the last.
  const total = page.totalItems;
  const pastEnd = total !== undefined && (request.page - 1) * request.pageSize >= total;
  const reachesEnd = total !== undefined && request.page * request.pageSize >= total;
  const items = (pastEnd ? [] : page.items)
    .slice(0, MAX_RESULTS_PAGE_SIZE)
    .map((item) => agentItem(request.kind, item, fields, cut));
  const hasMore = page.last === undefined && items.length > 0 && !reachesEnd;
  const answer: ResultsAnswer = {
    kind: request.kind,
    vendor: host,
    page: request.page,
    page_size: request.pageSize,
    fields,
    items,
    has_more: hasMore,
    truncated: cut.any,
    resource_uri: listingsPageUri(host, request.page),
    next_step: '',
  };
  if (request.executionId !== undefined) answer.execution_id = request.executionId;
  if (page.totalItems !== undefined) answer.total_items = page.totalItems;
  if (page.totalPages !== undefined) answer.total_pages = page.totalPages;
  if (crawlTotal !== undefined) answer.crawl_total = crawlTotal;
  const by = request.executionId !== undefined ? `execution_id "${request.executionId}"` : `vendor "${host}"`;
  if (hasMore) {
    answer.next_page = request.page + 1;
    answer.next_step = `Call get_crawl_results with ${by}, kind "${request.kind}" and page ${request.page + 1} for the next ${request.pageSize}.`;
  } else if (items.length === 0 && request.page === 1) {
    answer.next_step = `Nothing is indexed for ${host} yet${request.executionId ? '' : ': crawl it with start_crawl'}.`;
  } else {
    answer.next_step = `That was the last page of ${request.kind} for ${host}.`;
  }
  return answer;
}

/** The short text for clients that ignore structured content: one line per item. */
export function resultsText(answer: ResultsAnswer): string {
  const total = answer.total_items !== undefined ? ` of ${formatCount(answer.total_items)}` : '';
  const first = (answer.page - 1) * answer.page_size + 1;
  const range =
    answer.items.length === 0
      ? 'none'
      : `${formatCount(first)}-${formatCount(first + answer.items.length - 1)}${total}`;
  const lines = [`${answer.vendor} ${answer.kind}, page ${answer.page}: ${range}.`];
  for (const item of answer.items) {
    const label = String(item['name'] ?? item['id'] ?? '');
    const price = item['price'] !== undefined ? `${item['price']} ${item['currency'] ?? ''}`.trim() : '';
    const products = item['products_total'] !== undefined ? `${item['products_total']} products` : '';
    const parts = [truncate(label, 80), price, products, String(item['url'] ?? '')];
    lines.push(`- ${parts.filter((p) => p !== '').join(' · ')}`);
  }
  if (answer.truncated) lines.push('(Some long texts were cut.)');
  lines.push(`Next: ${answer.next_step}`);
  return lines.join('\n');
}
