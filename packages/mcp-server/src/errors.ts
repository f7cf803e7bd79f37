import {
  AbortedError,
  AuthError,
  CatalogError,
  ConflictError,
  InvalidInputError,
  InvalidResponseError,
  LostContactError,
  NetworkError,
  NotFoundError,
  PaymentRequiredError,
  RateLimitError,
  ServerError,
  ValidationError,
} from '@catalog-crawl/core';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { BoundReachedError } from './bound.js';
import type { ToolContext } from './context.js';
import { truncate } from './format.js';

/** Code of the error raised when no API key is available to the server or the HTTP client. */
export const MISSING_KEY_FIELD = 'CATALOG_API_KEY';

export function missingKeyError(http: boolean): InvalidInputError {
  return new InvalidInputError(
    MISSING_KEY_FIELD,
    http
      ? 'No Catalog API key: send it with each request in the `x-catalog-api-key` header (or `Authorization: Bearer <key>`), or start the server with CATALOG_API_KEY set.'
      : 'No Catalog API key: set CATALOG_API_KEY in the environment of the MCP server (in your MCP client configuration).',
  );
}

export interface ErrorContext {
  /** What the tool was doing, e.g. `start the crawl`. */
  action: string;
  executionId?: string;
}

function withRequestId(text: string, error: unknown): string {
  const id = error instanceof CatalogError ? error.requestId : undefined;
  return id && !text.includes(id) ? `${text} (request id ${id})` : text;
}

/** A request that got no answer may still have taken effect: what that means for the caller. */
function unknownOutcome(context: ErrorContext): string {
  if (context.action.startsWith('start'))
    return ' The crawl may have started anyway: calling start_crawl again with the same url returns the running crawl rather than a second one.';
  if (context.action.startsWith('cancel'))
    return ' The cancel may have gone through: get_crawl_status shows whether the crawl stopped.';
  return '';
}

/** An actionable sentence for an upstream or input failure. Never contains the key (redacted again by the caller). */
export function describeError(error: unknown, context: ErrorContext): string {
  const detail = error instanceof Error ? truncate(error.message, 300) : truncate(String(error), 300);
  const id = context.executionId ? ` ${context.executionId}` : '';
  if (error instanceof InvalidInputError) {
    if (error.field === MISSING_KEY_FIELD) return error.message;
    if (error.field === 'executionId') {
      return `Invalid execution_id: ${detail} Pass the execution_id exactly as returned by start_crawl or list_crawls.`;
    }
    if (error.field === 'execution_id') return `Cannot ${context.action}: ${detail}`;
    if (error.field === 'url')
      return `Invalid url: ${detail} Pass a website URL or a bare domain such as "skims.com".`;
    return `Invalid input (${error.field}): ${detail}`;
  }
  if (error instanceof AuthError) {
    return withRequestId(
      `Could not ${context.action}: the Catalog API rejected the API key (HTTP ${error.status ?? 401}). Check CATALOG_API_KEY in the MCP server configuration (or the key header in HTTP mode); retrying with the same key will not help.`,
      error,
    );
  }
  if (error instanceof PaymentRequiredError) {
    return withRequestId(
      `Could not ${context.action}: the Catalog account has no credits or auto top-up is off (HTTP 402). Enable auto top-up in the Catalog billing settings, then try again.`,
      error,
    );
  }
  if (error instanceof NotFoundError) {
    return withRequestId(
      `No crawl${id} in this organisation (HTTP 404). Check the execution_id with list_crawls; crawls started with another API key are not visible.`,
      error,
    );
  }
  if (error instanceof RateLimitError) {
    const wait = error.retryAfterMs !== undefined ? Math.max(1, Math.ceil(error.retryAfterMs / 1000)) : 10;
    return withRequestId(
      `Could not ${context.action}: the Catalog API rate limit was hit (HTTP 429) and retries were used up. Wait about ${wait} s, then call the tool again.`,
      error,
    );
  }
  if (error instanceof ServerError) {
    return withRequestId(
      `Could not ${context.action}: the Catalog API failed (HTTP ${error.status ?? '5xx'}) even after retries. This is on the API side: try again in a minute.`,
      error,
    );
  }
  if (error instanceof BoundReachedError) {
    const last =
      error.cause === undefined ? '' : ` (last error: ${truncate(describeError(error.cause, context), 200)})`;
    return `Could not ${context.action}: no answer from the Catalog API in ${Math.round(error.boundMs / 1000)} s${last}.${unknownOutcome(context)} Call the tool again in about 30 s.`;
  }
  if (error instanceof NetworkError) {
    return `Could not ${context.action}: the Catalog API did not answer (${error.timedOut ? 'timed out' : 'network error'}).${error.timedOut ? unknownOutcome(context) : ''} Check CATALOG_API_BASE_URL and the network, then call the tool again in about 30 s.`;
  }
  if (error instanceof InvalidResponseError) {
    return withRequestId(
      `Could not ${context.action}: the Catalog API sent a response that could not be read. Try again in a minute.`,
      error,
    );
  }
  if (error instanceof ValidationError) {
    return withRequestId(
      `Could not ${context.action}: the Catalog API rejected the request: ${detail}`,
      error,
    );
  }
  if (error instanceof ConflictError) {
    return withRequestId(
      `Could not ${context.action}: the crawl is not in a state that allows it: ${detail}`,
      error,
    );
  }
  if (error instanceof LostContactError) {
    return `Could not ${context.action}: no answer from the Catalog API in ${Math.round(error.elapsedMs / 1000)} s (${error.history.transientErrors} failed attempts). Try get_crawl_status in a minute.`;
  }
  if (error instanceof AbortedError) {
    return `The request was cancelled before it could ${context.action}. The crawl itself was not touched.`;
  }
  if (error instanceof CatalogError) return withRequestId(`Could not ${context.action}: ${detail}`, error);
  return `Could not ${context.action}: unexpected error: ${detail}`;
}

/** An `isError` tool result (no structuredContent: clients validate it against the success schema). */
export function errorResult(ctx: ToolContext, error: unknown, context: ErrorContext): CallToolResult {
  const text = ctx.redact(describeError(error, context));
  ctx.log(`tool error: ${text}`);
  return { content: [{ type: 'text', text }], isError: true };
}
