import { EXIT, exitCodeForError } from './exit-codes.js';

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

/** Turns any error into one line of what happened plus one line of what to do, and an exit code. */
export function describeError(error: unknown, context: DescribeContext = {}): DescribedError {
  const exitCode = exitCodeForError(error);
  const e = error instanceof Error ? error : new Error(String(error));
  const requestId = (e as { requestId?: unknown }).requestId;
  let message = firstLine(e.message || e.name);
  if (typeof requestId === 'string' && requestId !== '' && !message.includes(requestId)) {
    message += ` (request id ${requestId})`;
  }
  let hint: string | undefined;
  // The core's messages usually say what to do already; add a hint only where they do not.
  const says = (word: string) => message.toLowerCase().includes(word.toLowerCase());
  switch (e.name) {
    case 'AuthError':
      if (!says('CATALOG_API_KEY')) hint = 'Check the API key: set CATALOG_API_KEY (or pass --api-key).';
      break;
    case 'MissingApiKeyError':
      hint = 'Export CATALOG_API_KEY=<your key> (safer than --api-key, which shows in process lists).';
      break;
    case 'PaymentRequiredError':
      if (!says('top-up'))
        hint = 'Add credits or turn on auto top-up in your Catalog billing settings, then retry.';
      break;
    case 'NotFoundError':
      hint =
        'Check the execution id; `catalog-crawl list` shows the recent crawls of this key’s organisation.';
      break;
    case 'ValidationError':
      hint = 'The API rejected the input; check the url or id and retry.';
      break;
    case 'CrawlNotCompletedError': {
      const { crawlStatus, executionId } = e as { crawlStatus?: string; executionId?: string };
      const id = executionId ?? '<id>';
      hint =
        crawlStatus === 'pending' || crawlStatus === 'running'
          ? `Wait for it, then read: \`catalog-crawl wait ${id} && catalog-crawl results ${id}\`.`
          : 'Read what is indexed for its vendor instead: `catalog-crawl results <vendor>`.';
      break;
    }
    case 'WriteError':
      hint = 'Check the path, its permissions and the free space, then retry.';
      break;
    case 'InvalidInputError':
    case 'UsageError':
      hint = `Run \`catalog-crawl ${context.command ? `${context.command} ` : ''}--help\` for usage.`;
      break;
    default:
      if (exitCode === EXIT.UNREACHABLE && !says('check')) {
        hint = `Check the network and the base URL${context.baseUrl ? ` (${context.baseUrl})` : ''}, then retry; quote the request id to support if it persists.`;
      }
  }
  return { exitCode, message, hint };
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
