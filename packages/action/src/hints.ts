import { ApiError, AuthError, InvalidInputError, NetworkError, ValidationError } from '@catalog-crawl/core';

/**
 * What to do about an error, in the Action's own words: its inputs. Core's messages state the facts only;
 * this table adds the advice, keyed by error class (and by field for input errors). Never names an
 * environment variable: the Action reads only its inputs.
 */
export function hintFor(error: unknown): string | undefined {
  if (error instanceof AuthError) {
    return error.status === 403
      ? 'The key in the "api-key" input is not allowed to do this; starting crawls also needs auto top-up on in the Catalog billing settings.'
      : 'Check the "api-key" input: the secret it reads must hold a valid Catalog API key.';
  }
  if (error instanceof ValidationError) return 'Check the "url" input.';
  if (error instanceof ApiError && error.status !== undefined && error.status >= 300 && error.status < 400) {
    return 'Set the "api-base-url" input to the address the API redirects to.';
  }
  if (error instanceof NetworkError) return 'Check the "api-base-url" input and the runner\'s network.';
  if (error instanceof InvalidInputError) {
    if (error.field === 'apiKey') return 'Check the "api-key" input.';
    if (error.field === 'baseUrl') return 'Check the "api-base-url" input.';
  }
  return undefined;
}
