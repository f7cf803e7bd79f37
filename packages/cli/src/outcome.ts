import type { Crawl, WaitResult } from '@catalog-crawl/core';
import { describeError } from './errors.js';
import { EXIT, exitCodeForOutcome } from './exit-codes.js';
import { countsText, displaySteps, humanDuration } from './format.js';
import type { FinishInfo } from './render/reporter.js';

/** `step 2/4 (Discovering collections)`: the failed step, else the running one, else the next pending one. */
export function stepLabel(crawl: Crawl | undefined): string | undefined {
  if (!crawl || crawl.steps.length === 0) return undefined;
  const steps = displaySteps(crawl);
  let index = steps.findIndex((s) => s.status === 'failed');
  if (index < 0) index = steps.findIndex((s) => s.status === 'running');
  if (index < 0) index = steps.findIndex((s) => s.status !== 'completed');
  if (index < 0) return undefined;
  return `step ${index + 1}/${steps.length} (${steps[index]?.name})`;
}

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
  const counts = countsText(crawl);
  const where = stepLabel(crawl);
  let message: string;
  let hint: string | undefined;
  switch (result.outcome) {
    case 'completed': {
      const took = crawl?.durationMs ?? result.elapsedMs;
      message = `completed in ${humanDuration(took)}${counts ? `: ${counts}` : ''}`;
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
      const after = context.timeoutMs !== undefined ? ` after ${humanDuration(context.timeoutMs)}` : '';
      const state = crawl ? `, still ${crawl.status}${where ? ` at ${where}` : ''}` : '';
      if (result.cancel?.outcome === 'canceled') {
        message = `timed out${after}${state}; canceled the crawl (--cancel-on-timeout)`;
      } else if (result.cancel?.outcome === 'already_finished') {
        message = `timed out${after}; the crawl had just finished: \`${bin} status ${id}\``;
      } else {
        message = `timed out${after}${state}`;
        hint = `The crawl keeps running on the server. Wait again: \`${bin} wait ${id}\` (or a longer --timeout).`;
      }
      break;
    }
    case 'stalled': {
      const stall =
        context.stallTimeoutMs !== undefined ? ` for ${humanDuration(context.stallTimeoutMs)}` : '';
      message = `stalled: no change${stall}${where ? ` at ${where}` : ''}${counts ? ` (${counts})` : ''}`;
      hint = `It may still be running on the server: \`${bin} status ${id}\`, or cancel it: \`${bin} cancel ${id}\`.`;
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
  const e = error as {
    name?: string;
    crawl?: Crawl;
    elapsedMs?: number;
    cancel?: { outcome: string };
    cancelError?: Error;
  };
  if (e?.name === 'AbortedError') {
    const how = context.signalName === 'SIGTERM' ? 'SIGTERM' : 'Ctrl-C';
    const interrupted = context.signalName === 'SIGTERM' ? EXIT.TERMINATED : EXIT.INTERRUPTED;
    const base = { executionId, error, crawl: e.crawl, elapsedMs: e.elapsedMs };
    if (e.cancel?.outcome === 'canceled') {
      return {
        ...base,
        exitCode: EXIT.CANCELED,
        outcome: 'canceled',
        message: `canceled the crawl on ${how} (--cancel-on-abort)`,
      };
    }
    if (e.cancel?.outcome === 'already_finished') {
      return {
        ...base,
        exitCode: interrupted,
        outcome: 'interrupted',
        message: `stopped waiting on ${how}; the crawl had already finished`,
        hint: `See how it ended: \`${bin} status ${executionId}\``,
      };
    }
    if (e.cancelError) {
      return {
        ...base,
        exitCode: interrupted,
        outcome: 'interrupted',
        message: `stopped waiting on ${how}, but canceling the crawl failed: ${e.cancelError.message}`,
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
