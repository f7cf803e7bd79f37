import type { WaitEvent } from '@catalog-crawl/core';
import { crawlJson, errorJson, eventJson, resultJson } from '../format.js';
import type { Output } from '../output.js';
import type { FinishInfo, WaitReporter } from './reporter.js';

/**
 * `--json`: one JSON object per line on stdout and nothing else. Every waiter event, then one `result` (or
 * `error`) object per crawl, then, when several crawls were waited for, one `summary` object.
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

export function finishJson(info: FinishInfo): Record<string, unknown> {
  if (info.result) return { ...resultJson(info.result, info.exitCode), message: info.message };
  return {
    type: info.outcome === 'interrupted' ? 'interrupted' : 'error',
    executionId: info.executionId,
    exitCode: info.exitCode,
    message: info.message,
    hint: info.hint ?? null,
    error: info.error === undefined ? null : errorJson(info.error),
    elapsedMs: info.elapsedMs === undefined ? null : Math.round(info.elapsedMs),
    crawl: crawlJson(info.crawl),
  };
}
