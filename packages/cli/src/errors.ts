import {
  ApiError,
  AuthError,
  CrawlNotCompletedError,
  InvalidInputError,
  NotFoundError,
  PaymentRequiredError,
  ValidationError,
} from '@catalog-crawl/core';
import { EXIT, exitCodeForError, MissingApiKeyError, UsageError, WriteError } from './exit-codes.js';

export interface DescribedError {
  exitCode: number;
  /** What went wrong, in one line. */
  message: string;
  /** What to do about it, in one line. */
  hint?: string;
}

export interface DescribeContext {
  /** The base URL in use (printed for network errors; it is not a secret). */
  baseUrl?: string;
  /** The command name, for `--help` hints. */
  command?: string;
}

function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? text;
  return line.trim();
}

/**
 * What to do about an error, in the CLI's own words (its flags and variables). Core's messages state the
 * facts only; the advice lives here, keyed by error class and, for input errors, by field.
 */
function hintFor(error: unknown, context: DescribeContext): string | undefined {
  const base = `--base-url or CATALOG_API_BASE_URL${context.baseUrl ? `, now ${context.baseUrl}` : ''}`;
  if (error instanceof MissingApiKeyError) {
    return 'Export CATALOG_API_KEY=<your key> (safer than --api-key, which shows in process lists).';
  }
  if (error instanceof AuthError) {
    return error.status === 403
      ? 'The key in CATALOG_API_KEY (or --api-key) is not allowed to do this; starting crawls also needs auto top-up on in the Catalog billing settings.'
      : 'Check the API key: set CATALOG_API_KEY (or pass --api-key).';
  }
  if (error instanceof PaymentRequiredError) return undefined; // core's message says what to do
  if (error instanceof NotFoundError) {
    return 'Check the execution id; `catalog-crawl list` shows the recent crawls of this key’s organisation.';
  }
  if (error instanceof ValidationError) return 'The API rejected the input; check the url or id and retry.';
  if (error instanceof CrawlNotCompletedError) {
    const id = error.executionId;
    return error.crawlStatus === 'pending' || error.crawlStatus === 'running'
      ? `Wait for it, then read: \`catalog-crawl wait ${id} && catalog-crawl results ${id}\`.`
      : 'Read what is indexed for its vendor instead: `catalog-crawl results <vendor>`.';
  }
  if (error instanceof WriteError) return 'Check the path, its permissions and the free space, then retry.';
  if (error instanceof InvalidInputError) {
    if (error.field === 'apiKey')
      return 'Check CATALOG_API_KEY (or --api-key) for a stray character or a second line.';
    if (error.field === 'baseUrl') return `Check the base URL (${base}).`;
    return `Run \`catalog-crawl ${context.command ? `${context.command} ` : ''}--help\` for usage.`;
  }
  if (error instanceof UsageError) {
    return `Run \`catalog-crawl ${context.command ? `${context.command} ` : ''}--help\` for usage.`;
  }
  if (error instanceof ApiError && error.status !== undefined && error.status >= 300 && error.status < 400) {
    return `Set the base URL (${base}) to the address the API redirects to.`;
  }
  if (exitCodeForError(error) === EXIT.UNREACHABLE) {
    return `Check the network and the base URL (${base}), then retry; quote the request id to support if it persists.`;
  }
  return undefined;
}

/** Turns any error into one line of what happened plus one line of what to do, and an exit code. */
export function describeError(error: unknown, context: DescribeContext = {}): DescribedError {
  const exitCode = exitCodeForError(error);
  const e = error instanceof Error ? error : new Error(String(error));
  const requestId = (e as { requestId?: unknown }).requestId;
  let message = firstLine(e.message || e.name);
  if (typeof requestId === 'string' && requestId !== '' && !message.includes(requestId)) {
    message += ` (request id ${requestId})`;
  }
  return { exitCode, message, hint: hintFor(error, context) };
}

/** Stack trace and causes, for `--debug`. */
export function debugDetails(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  let depth = 0;
  while (current !== undefined && current !== null && depth < 5) {
    if (current instanceof Error) {
      parts.push(
        depth === 0 ? (current.stack ?? String(current)) : `Caused by: ${current.stack ?? String(current)}`,
      );
      current = (current as { cause?: unknown }).cause;
    } else {
      parts.push(`Caused by: ${String(current)}`);
      current = undefined;
    }
    depth++;
  }
  return parts.join('\n');
}
