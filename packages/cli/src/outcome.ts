import {
  AbortedError,
  type Crawl,
  formatCounts,
  formatDuration,
  formatStep,
  type WaitResult,
} from '@catalog-crawl/core';
import { describeError } from './errors.js';
import { EXIT, exitCodeForOutcome } from './exit-codes.js';
import type { FinishInfo } from './render/reporter.js';

export interface FinishContext {
  timeoutMs?: number;
  stallTimeoutMs?: number;
  baseUrl?: string;
  /** How the user resumes or inspects, e.g. `catalog-crawl`. */
  bin?: string;
}

export function finishFromResult(result: WaitResult, context: FinishContext = {}): FinishInfo {
  const bin = context.bin ?? 'catalog-crawl';
  const id = result.executionId;
  const crawl = result.crawl;
  const exitCode = exitCodeForOutcome(result.outcome);
  const counts = formatCounts(crawl);
  const where = formatStep(crawl);
  let message: string;
  let hint: string | undefined;
  switch (result.outcome) {
    case 'completed': {
      const took = crawl?.durationMs ?? result.elapsedMs;
      message = `completed in ${formatDuration(took)}${counts ? `: ${counts}` : ''}`;
      break;
    }
    case 'failed':
      message = `failed${where ? ` at ${where}` : ''}: ${crawl?.error ?? 'no error message from the API'}`;
      hint = `Details: \`${bin} status ${id}\`. Start it again with \`${bin} start <url> --wait\`.`;
      break;
    case 'canceled':
      message = `canceled${crawl?.error ? `: ${crawl.error}` : ''}`;
      break;
    case 'timed_out': {
      const after = context.timeoutMs !== undefined ? ` after ${formatDuration(context.timeoutMs)}` : '';
      const state = crawl ? `, still ${crawl.status}${where ? ` at ${where}` : ''}` : '';
      if (result.cancel?.outcome === 'canceled') {
        message = `timed out${after}${state}; canceled the crawl (--cancel-on-timeout)`;
      } else if (result.cancel?.outcome === 'already_finished') {
        message = `timed out${after}; the crawl had just finished: \`${bin} status ${id}\``;
      } else if (result.cancel?.outcome === 'not_running_yet') {
        message = `timed out${after}, still pending; not cancelled: it did not start within --cancel-wait (the API cancels only running crawls)`;
        hint = `It will run once it starts. Cancel it then: \`${bin} cancel ${id} --when-running\`.`;
      } else {
        message = `timed out${after}${state}`;
        hint = `The crawl keeps running on the server. Wait again: \`${bin} wait ${id}\` (or a longer --timeout).`;
      }
      break;
    }
    case 'stalled': {
      const stall =
        context.stallTimeoutMs !== undefined ? ` for ${formatDuration(context.stallTimeoutMs)}` : '';
      message = `stalled: no change${stall}${where ? ` at ${where}` : ''}${counts ? ` (${counts})` : ''}`;
      if (result.cancel?.outcome === 'canceled') message += '; canceled the crawl (--cancel-on-stall)';
      else if (result.cancel?.outcome === 'already_finished') message += '; it had just finished';
      else if (result.cancel?.outcome === 'not_running_yet') {
        message += '; not cancelled: still pending (the API cancels only running crawls)';
        hint = `Cancel it once it starts: \`${bin} cancel ${id} --when-running\`.`;
      } else {
        hint = `It may still be running on the server: \`${bin} status ${id}\`, or cancel it: \`${bin} cancel ${id}\`.`;
      }
      break;
    }
    default:
      message = String(result.outcome);
  }
  return {
    executionId: id,
    exitCode,
    outcome: result.outcome,
    message,
    hint,
    result,
    crawl,
    elapsedMs: result.elapsedMs,
  };
}

/** The end of one crawl's wait by an exception (auth, not found, lost contact, Ctrl-C...). */
export function finishFromError(
  executionId: string,
  error: unknown,
  context: FinishContext & { signalName?: 'SIGINT' | 'SIGTERM' } = {},
): FinishInfo {
  const bin = context.bin ?? 'catalog-crawl';
  const e = error as { crawl?: Crawl; elapsedMs?: number };
  if (error instanceof AbortedError) {
    const how = context.signalName === 'SIGTERM' ? 'SIGTERM' : 'Ctrl-C';
    const interrupted = context.signalName === 'SIGTERM' ? EXIT.TERMINATED : EXIT.INTERRUPTED;
    const base = { executionId, error, crawl: error.crawl, elapsedMs: error.elapsedMs };
    if (error.cancel?.outcome === 'canceled') {
      return {
        ...base,
        exitCode: EXIT.CANCELED,
        outcome: 'canceled',
        message: `canceled the crawl on ${how} (--cancel-on-abort)`,
      };
    }
    if (error.cancel?.outcome === 'already_finished') {
      return {
        ...base,
        exitCode: interrupted,
        outcome: 'interrupted',
        message: `stopped waiting on ${how}; the crawl had already finished`,
        hint: `See how it ended: \`${bin} status ${executionId}\``,
      };
    }
    if (error.cancel?.outcome === 'not_running_yet') {
      return {
        ...base,
        exitCode: interrupted,
        outcome: 'interrupted',
        message: `stopped waiting on ${how}; the crawl was still pending after --cancel-wait, so it was not cancelled (the API cancels only running crawls)`,
        hint: `It will run once it starts. Cancel it then: \`${bin} cancel ${executionId} --when-running\`.`,
      };
    }
    if (error.cancelError) {
      return {
        ...base,
        exitCode: interrupted,
        outcome: 'interrupted',
        message: `stopped waiting on ${how}, but canceling the crawl failed: ${error.cancelError.message}`,
        hint: `Cancel it with \`${bin} cancel ${executionId}\`.`,
      };
    }
    return {
      ...base,
      exitCode: interrupted,
      outcome: 'interrupted',
      message: `stopped waiting on ${how}; the crawl keeps running on the server`,
      hint: `Resume with \`${bin} wait ${executionId}\`, or stop it with \`${bin} cancel ${executionId}\`.`,
    };
  }
  const described = describeError(error, { baseUrl: context.baseUrl, command: 'wait' });
  return {
    executionId,
    exitCode: described.exitCode,
    outcome: 'error',
    message: described.message,
    hint: described.hint,
    error,
    crawl: e?.crawl,
    elapsedMs: e?.elapsedMs,
  };
}
