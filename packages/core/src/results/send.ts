import type { CatalogClient } from '../client.js';
import type { RequestOptions } from '../types.js';

/** One request of the results endpoints, as the client's generic entry point takes it. */
export interface ResultsCall<T> {
  method: 'GET' | 'POST';
  /** Path and query, e.g. `/v2/listings?vendor=skims.com&page=1&page_size=100`. */
  path: string;
  /** For messages, e.g. `GET /v2/listings`. */
  label: string;
  /** JSON body (POST). */
  body?: unknown;
  /** Builds the value from a 2xx body; a ShapeError becomes an InvalidResponseError (retried). */
  parse(body: unknown, requestId: string | undefined): T;
  /** Names what a 404 refers to in the NotFoundError's message. */
  notFound?: string;
}

export type ResultsSend = <T>(call: ResultsCall<T>, options: RequestOptions) => Promise<T>;

export function sendOf(client: CatalogClient): ResultsSend {
  return (call, options) => client.request(call, options);
}
