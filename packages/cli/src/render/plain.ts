import { formatCountOf, formatCounts, type WaitEvent } from '@catalog-crawl/core';
import { EXIT } from '../exit-codes.js';
import { clock } from '../format.js';
import type { Output } from '../output.js';
import type { FinishInfo, WaitReporter } from './reporter.js';

/** One plain line per change, for logs and CI (no cursor movement, colours only when forced). */
export class PlainReporter implements WaitReporter {
  readonly #out: Output;
  constructor(out: Output) {
    this.#out = out;
  }

  #line(executionId: string, elapsedMs: number, text: string): void {
    const c = this.#out.colors;
    this.#out.line(`${c.dim(clock(elapsedMs).padStart(5))} ${executionId}  ${text}`);
  }

  begin(executionIds: readonly string[]): void {
    for (const id of executionIds) this.#line(id, 0, 'waiting');
  }

  event(event: WaitEvent): void {
    const c = this.#out.colors;
    const total = event.crawl?.steps.length || 4;
    switch (event.type) {
      case 'status':
        this.#line(
          event.executionId,
          event.elapsedMs,
          event.previous ? `status ${event.previous} -> ${event.status}` : `status ${event.status}`,
        );
        break;
      case 'step_started':
        this.#line(
          event.executionId,
          event.elapsedMs,
          `step ${event.index + 1}/${total} started: ${event.step}`,
        );
        break;
      case 'step_finished': {
        const text = `step ${event.index + 1}/${total} ${event.status}: ${event.step}`;
        this.#line(event.executionId, event.elapsedMs, event.status === 'failed' ? c.red(text) : text);
        break;
      }
      case 'progress':
        this.#line(
          event.executionId,
          event.elapsedMs,
          `found ${formatCountOf(event.progress.collectionsFound, 'collection')}, ${formatCountOf(event.progress.listingsFound, 'listing')}`,
        );
        break;
      case 'warning':
        this.#line(event.executionId, event.elapsedMs, c.yellow(`warning: ${event.message}`));
        break;
      case 'heartbeat': {
        const counts = formatCounts(event.crawl);
        this.#line(
          event.executionId,
          event.elapsedMs,
          `still ${event.crawl?.status ?? 'waiting'}${counts ? ` (${counts})` : ''}`,
        );
        break;
      }
    }
  }

  finish(info: FinishInfo): void {
    const c = this.#out.colors;
    const color = info.exitCode === 0 ? c.green : info.exitCode === EXIT.TIMED_OUT ? c.yellow : c.red;
    this.#line(info.executionId, info.elapsedMs ?? 0, color(info.message));
    if (info.hint) this.#line(info.executionId, info.elapsedMs ?? 0, info.hint);
  }

  close(_exitCode?: number): void {}
}
