// Tolerant parsers for the Catalog API's JSON bodies (not exported from the package). Documented variations
// and unknown fields are accepted; a present field of the wrong type is a ShapeError naming its path.
import type {
  CancelResult,
  Crawl,
  CrawlList,
  CrawlListItem,
  CrawlProgress,
  CrawlStep,
  CrawlTotals,
  Pagination,
  StartedCrawl,
} from './types.js';

export class ShapeError extends Error {}

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function obj(value: unknown, path: string): Obj {
  if (!isObj(value)) throw new ShapeError(`${path} is not an object`);
  return value;
}

/** An optional object: absent or null gives undefined. */
function optObj(value: unknown, path: string): Obj | undefined {
  return value === undefined || value === null ? undefined : obj(value, path);
}

function str(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new ShapeError(`${path} is not a string`);
  return value;
}

function optStr(value: unknown, path: string): string | undefined {
  return value === undefined || value === null ? undefined : str(value, path);
}

function optNum(value: unknown, path: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ShapeError(`${path} is not a number`);
  return value;
}

function count(value: unknown, path: string): number {
  const n = optNum(value, path) ?? 0;
  if (n < 0) throw new ShapeError(`${path} is negative`);
  return n;
}

function optBool(value: unknown, path: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new ShapeError(`${path} is not a boolean`);
  return value;
}

function progressOf(value: unknown): CrawlProgress | undefined {
  const p = optObj(value, 'meta.progress');
  if (!p) return undefined;
  return {
    collectionsFound: count(p.collections_found, 'meta.progress.collections_found'),
    listingsFound: count(p.listings_found, 'meta.progress.listings_found'),
  };
}

/**
 * Totals, each the first present of `meta.result.<kind>_total`, `total_<kind>_found` (root, then meta) and,
 * once the crawl completed, `meta.progress.<kind>_found`: the migration guide and the product-index guide name
 * them differently. Undefined when none is present.
 */
function totalsOf(root: Obj, meta: Obj, completed: boolean): CrawlTotals | undefined {
  const result = optObj(meta.result, 'meta.result');
  const progress = completed ? optObj(meta.progress, 'meta.progress') : undefined;
  const pick = (kind: 'collections' | 'listings'): number | undefined => {
    const sources: [unknown, string][] = [
      [result?.[`${kind}_total`], `meta.result.${kind}_total`],
      [root[`total_${kind}_found`], `total_${kind}_found`],
      [meta[`total_${kind}_found`], `meta.total_${kind}_found`],
      [progress?.[`${kind}_found`], `meta.progress.${kind}_found`],
    ];
    for (const [value, path] of sources) {
      if (value !== undefined && value !== null) return count(value, path);
    }
    return undefined;
  };
  const collections = pick('collections');
  const listings = pick('listings');
  if (!result && collections === undefined && listings === undefined) return undefined;
  return { collectionsTotal: collections ?? 0, listingsTotal: listings ?? 0 };
}

function stepsOf(value: unknown): CrawlStep[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ShapeError('meta.steps is not an array');
  return value.map((item, i) => {
    const s = obj(item, `meta.steps[${i}]`);
    return { name: str(s.name, `meta.steps[${i}].name`), status: str(s.status, `meta.steps[${i}].status`) };
  });
}

/** GET /v2/crawl/{id}. `fallbackId` is used when the body omits execution_id. */
export function parseCrawl(body: unknown, fallbackId: string, requestId: string | undefined): Crawl {
  const root = obj(body, 'body');
  const meta = optObj(root.meta, 'meta') ?? {};
  const crawl: Crawl = {
    executionId: optStr(root.execution_id, 'execution_id') ?? fallbackId,
    status: str(root.status, 'status'),
    error: optStr(root.error, 'error') ?? null,
    steps: stepsOf(meta.steps),
    requestId,
    raw: body,
  };
  const vendor = optStr(meta.vendor, 'meta.vendor');
  if (vendor !== undefined) crawl.vendor = vendor;
  const startDate = optStr(meta.start_date, 'meta.start_date');
  if (startDate !== undefined) crawl.startDate = startDate;
  if ('stop_date' in meta) crawl.stopDate = optStr(meta.stop_date, 'meta.stop_date') ?? null;
  const durationMs = optNum(meta.duration_ms, 'meta.duration_ms');
  if (durationMs !== undefined) crawl.durationMs = durationMs;
  const progress = progressOf(meta.progress);
  if (progress) crawl.progress = progress;
  const result = totalsOf(root, meta, crawl.status === 'completed');
  if (result) crawl.result = result;
  return crawl;
}

/** POST /v2/crawl. */
export function parseStarted(body: unknown, requestId: string | undefined): StartedCrawl {
  const root = obj(body, 'body');
  const meta = optObj(root.meta, 'meta') ?? {};
  const started: StartedCrawl = {
    executionId: str(root.execution_id, 'execution_id'),
    status: optStr(root.status, 'status') ?? 'pending',
    requestId,
    raw: body,
  };
  if (started.executionId.trim() === '') throw new ShapeError('execution_id is empty');
  const credits = optNum(meta.credits_used, 'meta.credits_used');
  if (credits !== undefined) started.creditsUsed = credits;
  return started;
}

/** A 2xx DELETE /v2/crawl/{id}. An empty body (e.g. 204) is accepted: the status code already says it worked. */
export function parseCancel(body: unknown, fallbackId: string, requestId: string | undefined): CancelResult {
  const root = body === undefined ? {} : obj(body, 'body');
  return {
    executionId: optStr(root.execution_id, 'execution_id') ?? fallbackId,
    outcome: 'canceled',
    stopDate: optStr(root.stop_date, 'stop_date') ?? null,
    requestId,
    raw: body,
  };
}

function itemOf(value: unknown, i: number): CrawlListItem {
  const o = obj(value, `data[${i}]`);
  const item: CrawlListItem = {
    executionId: str(o.execution_id, `data[${i}].execution_id`),
    status: str(o.status, `data[${i}].status`),
  };
  const createdAt = optStr(o.created_at, `data[${i}].created_at`);
  if (createdAt !== undefined) item.createdAt = createdAt;
  return item;
}

/** GET /v2/crawl. A missing pagination block is derived from the request and the items. */
export function parseList(
  body: unknown,
  asked: { page?: number | undefined; pageSize?: number | undefined },
  requestId: string | undefined,
): CrawlList {
  const root = obj(body, 'body');
  if (root.data !== undefined && root.data !== null && !Array.isArray(root.data)) {
    throw new ShapeError('data is not an array');
  }
  const items = ((root.data as unknown[] | null | undefined) ?? []).map(itemOf);
  const p = optObj(root.pagination, 'pagination') ?? {};
  const page = optNum(p.page, 'pagination.page') ?? asked.page ?? 1;
  const pageSize = optNum(p.page_size, 'pagination.page_size') ?? asked.pageSize ?? 20;
  const totalItems = optNum(p.total_items, 'pagination.total_items') ?? (page - 1) * pageSize + items.length;
  const totalPages =
    optNum(p.total_pages, 'pagination.total_pages') ?? Math.max(page, Math.ceil(totalItems / pageSize));
  const pagination: Pagination = {
    page,
    pageSize,
    totalItems,
    totalPages,
    hasNext: optBool(p.has_next, 'pagination.has_next') ?? page < totalPages,
    hasPrev: optBool(p.has_prev, 'pagination.has_prev') ?? page > 1,
  };
  return { items, pagination, requestId, raw: body };
}

export interface ErrorBodyInfo {
  code?: string;
  message?: string;
  requestId?: string;
  /** Set when the body was not JSON: a short description of what it was. */
  nonJson?: string;
}

/** Reads any of the three documented error shapes, or describes a body that is not JSON. Never throws. */
export function parseErrorBody(text: string): ErrorBodyInfo {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { nonJson: describeNonJson(text) };
  }
  if (!isObj(body)) return { nonJson: describeNonJson(text) };
  const info: ErrorBodyInfo = {};
  const err = body.error;
  if (isObj(err)) {
    // Envelope: {"error": {"code", "message", "request_id"}}
    if (typeof err.code === 'string') info.code = err.code;
    if (typeof err.message === 'string') info.message = err.message;
    if (typeof err.request_id === 'string') info.requestId = err.request_id;
  } else if (typeof err === 'string') {
    // Flat {"error", "status"} or older {"error", "details"}.
    info.message = typeof body.details === 'string' && body.details !== '' ? `${err}: ${body.details}` : err;
  }
  if (info.code === undefined && typeof body.code === 'string') info.code = body.code;
  if (info.message === undefined && typeof body.message === 'string') info.message = body.message;
  if (info.requestId === undefined && typeof body.request_id === 'string') info.requestId = body.request_id;
  return info;
}

export function describeNonJson(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return 'an empty body';
  if (trimmed.startsWith('<')) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(trimmed)?.[1]?.trim();
    return title ? `an HTML page titled ${JSON.stringify(clip(title, 80))}` : 'an HTML page';
  }
  return `a non-JSON body starting ${JSON.stringify(clip(trimmed, 80))}`;
}

export function clip(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}
