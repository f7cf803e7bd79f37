// The results endpoints go through the client's own request path (limiter, retry, timeouts, typed errors).
import { type CatalogClient, type RequestSpec, sendRequest } from '../client.js';
import type { RequestOptions } from '../types.js';

/** One request of the results endpoints: the client's RequestSpec, limited to GET and POST. */
export type ResultsCall<T> = RequestSpec<T> & { method: 'GET' | 'POST' };

export type ResultsSend = <T>(call: ResultsCall<T>, options: RequestOptions) => Promise<T>;

export function sendOf(client: CatalogClient): ResultsSend {
  return (call, options) => sendRequest(client, call, options);
}
