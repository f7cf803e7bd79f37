import {
  type Crawl,
  crawlPosition,
  formatCountOf,
  formatCounts,
  formatDuration,
  formatPosition,
  type WaitEvent,
} from '@catalog-crawl/core';
import { type ActionReport, outcomeMessage } from './report.js';

/** How often a quiet heartbeat line is printed when nothing changes (core's heartbeatMs). */
export const HEARTBEAT_MS = 180_000;
/** Repeated transient-error warnings are folded into one info line at most this often. */
export const WARNING_INFO_EVERY_MS = 60_000;

/** `[+1m20s, 58m40s left]` */
export function timePrefix(elapsedMs: number, remainingMs: number): string {
  return `[+${formatDuration(elapsedMs)}, ${formatDuration(Math.max(0, remainingMs))} left]`;
}

/** First log line: the id and vendor; the status URL on the second line (GET it with the key). */
export function headerLines(executionId: string, vendor: string | undefined, baseUrl: string): string[] {
  return [
    `Crawl ${executionId} for ${vendor ?? 'an unknown vendor'}`,
    `Status: ${baseUrl}/v2/crawl/${encodeURIComponent(executionId)}`,
  ];
}

/** `step 2/4 Discovering collections`: the event's step, numbered as core's formatStep numbers them. */
function stepLabel(crawl: Crawl | undefined, index: number, name: string): string {
  const total = crawl?.steps.length || 4;
  return `step ${index + 1}/${Math.max(total, index + 1)} ${name}`;
}

/**
 * Where the crawl is (core's words): `running, step 2/4 Discovering collections, 12 collections, 340 listings
 * so far`. Without the status when it is no longer true (after a cancel).
 */
export function positionText(crawl: Crawl | undefined, options: { withStatus?: boolean } = {}): string {
  if (options.withStatus === false) return crawl ? crawlPosition(crawl).slice(1).join(', ') : '';
  return formatPosition(crawl);
}

/**
 * One log line per change (warnings are handled by WarningCollapser). Returns undefined for events that
 * do not produce a line.
 */
export function eventLine(event: WaitEvent): string | undefined {
  const prefix = timePrefix(event.elapsedMs, event.remainingMs);
  switch (event.type) {
    case 'status':
      return event.previous === undefined
        ? `${prefix} status ${event.status}`
        : `${prefix} status ${event.previous} -> ${event.status}`;
    case 'step_started':
      return `${prefix} ${stepLabel(event.crawl, event.index, event.step)} started`;
    case 'step_finished':
      return `${prefix} ${stepLabel(event.crawl, event.index, event.step)} ${event.status}`;
    case 'progress':
      return `${prefix} found ${formatCountOf(event.progress.collectionsFound, 'collection')}, ${formatCountOf(event.progress.listingsFound, 'listing')}`;
    case 'heartbeat':
      return `${prefix} still waiting: ${positionText(event.crawl)}`;
    case 'warning':
      return undefined;
  }
}

export interface LogAction {
  level: 'warning' | 'info' | 'debug';
  text: string;
}

const TRANSIENT_KINDS = new Set(['retry', 'poll_failed', 'rate_limited']);

/**
 * Collapses warnings: the first transient error becomes one warning annotation; later ones go to debug,
 * and are counted in one info line at most every WARNING_INFO_EVERY_MS. Other warnings (unknown status...)
 * are annotated once per distinct message.
 */
export class WarningCollapser {
  private transientCount = 0;
  private pendingSinceInfo = 0;
  private lastInfoAt = Number.NEGATIVE_INFINITY;
  private readonly seen = new Set<string>();

  get count(): number {
    return this.transientCount;
  }

  handle(event: Extract<WaitEvent, { type: 'warning' }>): LogAction[] {
    const prefix = timePrefix(event.elapsedMs, event.remainingMs);
    if (!TRANSIENT_KINDS.has(event.kind)) {
      const key = `${event.kind}:${event.message}`;
      if (this.seen.has(key)) return [{ level: 'debug', text: `${prefix} ${event.message}` }];
      this.seen.add(key);
      return [{ level: 'warning', text: event.message }];
    }
    this.transientCount += 1;
    if (this.transientCount === 1) {
      this.lastInfoAt = event.elapsedMs;
      return [
        {
          level: 'warning',
          text: `Transient API error, retrying: ${event.message} (further retries are counted in the log, not annotated)`,
        },
      ];
    }
    this.pendingSinceInfo += 1;
    const actions: LogAction[] = [{ level: 'debug', text: `${prefix} retry: ${event.message}` }];
    if (event.elapsedMs - this.lastInfoAt >= WARNING_INFO_EVERY_MS) {
      actions.push({
        level: 'info',
        text: `${prefix} ${this.pendingSinceInfo} more transient error(s) retried (${this.transientCount} in all; last: ${event.message})`,
      });
      this.pendingSinceInfo = 0;
      this.lastInfoAt = event.elapsedMs;
    }
    return actions;
  }
}

const MARKS: Record<ActionReport['outcome'], string> = {
  completed: '✅',
  started: '▶️',
  failed: '❌',
  canceled: '⛔',
  timed_out: '⏱️',
  stalled: '⚠️',
  error: '❌',
};

export function outcomeMark(outcome: ActionReport['outcome']): string {
  return MARKS[outcome];
}

/** The last log line. */
export function finalLine(report: ActionReport): string {
  const mark = outcomeMark(report.outcome);
  const id = report.executionId ? ` ${report.executionId}` : '';
  switch (report.outcome) {
    case 'completed': {
      const counts = formatCounts(report.crawl);
      const duration = report.crawl?.durationMs ?? report.elapsedMs;
      return `${mark} Crawl${id} completed in ${formatDuration(duration)}${counts ? `: ${counts}` : ''}`;
    }
    case 'started':
      return `${mark} Crawl${id} started (wait is false; use the execution-id output to wait for it later)`;
    default:
      return `${mark} ${report.outcome}${id ? ` (${id.trim()})` : ''}: ${outcomeMessage(report)}`;
  }
}
