// The three results endpoints over the client's own request path (same limiter, retry, typed errors).
import type { CatalogClient } from '../client.js';
import { ApiError, InvalidInputError, NotFoundError } from '../errors.js';
import { type FetchedPage, type FetchPage, type PageRequest, Results } from './pages.js';
import { parseEnvelope } from './parse.js';
import { type ResultsSend, sendOf } from './send.js';
import type {
  Collection,
  CollectionsOptions,
  Listing,
  ListingsOptions,
  ResultsKind,
  ResultsOptions,
  Vendor,
} from './types.js';
import { validateCollectionUrls, validateVendor } from './vendor.js';

type Method = 'GET' | 'POST';

/**
 * The method that worked, per client and endpoint. The docs disagree (GET with a query, or POST with a JSON
 * body): GET is tried first, POST once on a 404/405 before any page was read, and the winner is remembered.
 */
const methods = new WeakMap<object, Map<string, Method>>();

function memoryOf(client: object): Map<string, Method> {
  let memory = methods.get(client);
  if (!memory) {
    memory = new Map();
    methods.set(client, memory);
  }
  return memory;
}

/** The method remembered for an endpoint of this client, if one has worked (for tests and diagnostics). */
export function rememberedMethod(client: CatalogClient, kind: ResultsKind): Method | undefined {
  return methods.get(client)?.get(kind);
}

export interface Endpoint {
  kind: ResultsKind;
  /** Fields other than page and page_size (vendor, collection_urls). */
  fields: Record<string, string | string[]>;
  /** How an array field travels in a query string. */
  arrayStyle: 'repeat' | 'comma';
  /** Whether a 404 means "nothing indexed" (true with a vendor) rather than an error. */
  notFoundIsEmpty: boolean;
}

/** One page of an endpoint, with the method fallback. `owner` is what the method is remembered for (the client). */
export function pageFetcher(
  owner: object,
  send: ResultsSend,
  endpoint: Endpoint,
  options: ResultsOptions,
): FetchPage {
  const memory = memoryOf(owner);
  const label = (method: Method) => `${method} /v2/${endpoint.kind}`;
  const attempt = (method: Method, request: PageRequest): Promise<FetchedPage> => {
    const fields: Record<string, string | string[]> = {
      ...endpoint.fields,
      page: String(request.page),
      page_size: String(request.pageSize),
    };
    let path = `/v2/${endpoint.kind}`;
    let body: unknown;
    if (method === 'GET') {
      const query = new URLSearchParams();
      for (const [key, value] of Object.entries(fields)) {
        if (typeof value === 'string') query.set(key, value);
        else if (endpoint.arrayStyle === 'comma') query.set(key, value.join(','));
        else for (const v of value) query.append(key, v);
      }
      path += `?${query.toString()}`;
    } else {
      // Numbers travel as numbers in a JSON body.
      body = { ...endpoint.fields, page: request.page, page_size: request.pageSize };
    }
    const requestOptions = {
      signal: request.signal,
      deadline: request.deadline,
      timeoutMs: options.timeoutMs,
      onRetry: options.onRetry,
    };
    return send(
      {
        method,
        path,
        body,
        label: label(method),
        notFound: endpoint.fields.vendor ? `vendor ${endpoint.fields.vendor}` : `${endpoint.kind} endpoint`,
        parse: (raw, requestId) => {
          const page: FetchedPage = { envelope: parseEnvelope(raw), method };
          if (requestId !== undefined) page.requestId = requestId;
          return page;
        },
      },
      requestOptions,
    );
  };
  const status = (error: unknown) => (error instanceof ApiError ? error.status : undefined);
  return async (request) => {
    const known = memory.get(endpoint.kind);
    let first: unknown;
    try {
      const page = await attempt(known ?? 'GET', request);
      if (!known) memory.set(endpoint.kind, page.method);
      return page;
    } catch (error) {
      first = error;
    }
    const firstStatus = status(first);
    if (firstStatus !== 404 && firstStatus !== 405) throw first;
    if (known !== undefined || request.pagesRead > 0) {
      // The method is settled: a 404 is "nothing (more) indexed", a 405 a real refusal.
      if (firstStatus === 404) {
        if (endpoint.notFoundIsEmpty) return undefined;
        throw missingEndpoint(endpoint.kind, first);
      }
      throw first;
    }
    // The one POST fallback, before any page was read.
    try {
      const page = await attempt('POST', request);
      memory.set(endpoint.kind, 'POST');
      return page;
    } catch (error) {
      const secondStatus = status(error);
      let notFound: unknown;
      if (firstStatus === 404 && secondStatus === 405) {
        // GET is the method (POST is refused) and its 404 is the answer.
        memory.set(endpoint.kind, 'GET');
        notFound = first;
      } else if (firstStatus === 405 && secondStatus === 404) {
        memory.set(endpoint.kind, 'POST');
        notFound = error;
      } else if (firstStatus === 404 && secondStatus === 404) {
        // Either method may be the right one; the answer is the same: nothing remembered.
        notFound = first;
      } else {
        throw error;
      }
      if (endpoint.notFoundIsEmpty) return undefined;
      throw missingEndpoint(endpoint.kind, notFound);
    }
  };
}

/** A 404 where there is no vendor to be unknown: the endpoint itself is missing at this base URL. */
function missingEndpoint(kind: ResultsKind, error: unknown): NotFoundError {
  const { code, status, requestId } = error as NotFoundError;
  const quote = requestId ? ` (request id ${requestId}: quote it to support)` : '';
  return new NotFoundError(
    `The API answered 404 for /v2/${kind}: there is no ${kind} endpoint at this base URL; check CATALOG_API_BASE_URL${quote}`,
    code,
    { status, requestId },
  );
}

/** `GET /v2/vendors`: the shared index (not only your crawls); never a completion signal. */
export function listVendors(client: CatalogClient, options: ResultsOptions = {}): Results<Vendor> {
  const opts = options ?? {};
  const fetchPage = pageFetcher(
    client,
    sendOf(client),
    { kind: 'vendors', fields: {}, arrayStyle: 'repeat', notFoundIsEmpty: false },
    opts,
  );
  return new Results<Vendor>('vendors', fetchPage, { ...opts, what: 'vendors' });
}

/** `GET /v2/collections?vendor=`: a vendor's collections, most products first. 404 or empty: nothing indexed. */
export function listCollections(
  client: CatalogClient,
  vendor: string,
  options: CollectionsOptions = {},
): Results<Collection> {
  const host = validateVendor(vendor);
  const opts = options ?? {};
  const fetchPage = pageFetcher(
    client,
    sendOf(client),
    { kind: 'collections', fields: { vendor: host }, arrayStyle: 'repeat', notFoundIsEmpty: true },
    opts,
  );
  return new Results<Collection>('collections', fetchPage, { ...opts, what: `collections of ${host}` });
}

/** `GET /v2/listings?vendor=`: a vendor's listings. 404 or empty: nothing indexed. */
export function listListings(
  client: CatalogClient,
  vendor: string,
  options: ListingsOptions = {},
): Results<Listing> {
  const host = validateVendor(vendor);
  const opts = options ?? {};
  const fields: Record<string, string | string[]> = { vendor: host };
  if (opts.collectionUrls !== undefined) fields.collection_urls = validateCollectionUrls(opts.collectionUrls);
  const style = opts.collectionUrlsStyle ?? 'repeat';
  if (style !== 'repeat' && style !== 'comma') {
    throw new InvalidInputError('collectionUrlsStyle', "collectionUrlsStyle must be 'repeat' or 'comma'");
  }
  const fetchPage = pageFetcher(
    client,
    sendOf(client),
    { kind: 'listings', fields, arrayStyle: style, notFoundIsEmpty: true },
    opts,
  );
  return new Results<Listing>('listings', fetchPage, { ...opts, what: `listings of ${host}` });
}
