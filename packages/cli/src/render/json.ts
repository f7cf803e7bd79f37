import type { CancelResult, WaitEvent } from '@catalog-crawl/core';
import { cancelJson, crawlJson, errorJson, eventJson, resultJson } from '../format.js';
import type { Output } from '../output.js';
import type { FinishInfo, WaitReporter } from './reporter.js';

/**
 * `--json`: one JSON object per line on stdout and nothing else. Every waiter event, then one `result` object
 * per crawl, then, when several crawls were waited for, one `summary` object.
 */
export class JsonReporter implements WaitReporter {
  readonly #out: Output;
  readonly #finished: FinishInfo[] = [];
  #count = 0;
  constructor(out: Output) {
    this.#out = out;
  }

  begin(executionIds: readonly string[]): void {
    this.#count = executionIds.length;
  }

  event(event: WaitEvent): void {
    this.#out.json(eventJson(event));
  }

  finish(info: FinishInfo): void {
    this.#finished.push(info);
    this.#out.json(finishJson(info));
  }

  close(exitCode: number): void {
    if (this.#count <= 1) return;
    this.#out.json({
      type: 'summary',
      exitCode,
      results: this.#finished.map((f) => ({
        executionId: f.executionId,
        outcome: f.outcome,
        exitCode: f.exitCode,
        message: f.message,
      })),
    });
  }
}

/** The per-crawl end object: always `type: "result"`; `outcome` says how it ended, `error` is set for exceptions. */
export function finishJson(info: FinishInfo): Record<string, unknown> {
  if (info.result)
    return { ...resultJson(info.result, info.exitCode), message: info.message, hint: info.hint ?? null };
  const cancel = (info.error as { cancel?: CancelResult } | undefined)?.cancel;
  return {
    type: 'result',
    executionId: info.executionId,
    outcome: info.outcome,
    exitCode: info.exitCode,
    elapsedMs: info.elapsedMs === undefined ? null : Math.round(info.elapsedMs),
    crawl: crawlJson(info.crawl),
    cancel: cancelJson(cancel),
    error: info.outcome === 'error' && info.error !== undefined ? errorJson(info.error) : null,
    message: info.message,
    hint: info.hint ?? null,
  };
}
