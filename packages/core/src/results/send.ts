// The results endpoints go through the client's own request path (limiter, retry, timeouts, typed errors).
import { CatalogClient, type RequestSpec, sendRequest } from '../client.js';
import { InvalidInputError } from '../errors.js';
import type { RequestOptions } from '../types.js';

/** One request of the results endpoints: the client's RequestSpec, limited to GET and POST. */
export type ResultsCall<T> = RequestSpec<T> & { method: 'GET' | 'POST' };

export type ResultsSend = <T>(call: ResultsCall<T>, options: RequestOptions) => Promise<T>;

/** Checked when a read is created, so a wrong first argument fails before any request with a clear message. */
export function sendOf(client: CatalogClient): ResultsSend {
  if (!(client instanceof CatalogClient)) {
    throw new InvalidInputError(
      'client',
      'the first argument must be a CatalogClient (new CatalogClient({ apiKey, baseUrl }))',
    );
  }
  return (call, options) => sendRequest(client, call, options);
}
