import {
  type Crawl,
  crawlDurationMs,
  currentStep,
  formatCount,
  formatCounts,
  formatDuration,
  formatStep,
  isCanceledCrawl,
  isTerminalStatus,
  progressFraction,
  suggestPollIntervalMs,
} from '@catalog-crawl/core';
import type { CrawlStatusOutput } from './schemas.js';

/** The URI scheme of the crawl status resource. */
export const RESOURCE_TEMPLATE = 'catalog-crawl://crawls/{execution_id}';

export function resourceUri(executionId: string): string {
  return `catalog-crawl://crawls/${encodeURIComponent(executionId)}`;
}

/** A crawl that was cancelled (core's rule: `canceled`/`cancelled`, or `failed` with a cancel/abort error). */
export function isCancelledCrawl(crawl: Pick<Crawl, 'status' | 'error'>): boolean {
  return isCanceledCrawl(crawl);
}

export function seconds(ms: number): number {
  return Math.max(0, Math.round(ms / 100) / 10);
}

/** The next step an agent should take for this crawl, in one sentence. */
export function statusNextStep(crawl: Crawl, pollSeconds: number): string {
  if (crawl.status === 'completed') {
    const listings = crawl.result ? ` ${formatCount(crawl.result.listingsTotal)}` : '';
    return `The crawl is finished; nothing left to poll. Call get_crawl_results with execution_id "${crawl.executionId}" to read the${listings} listings it found, a page at a time (kind "collections" for its collections).`;
  }
  if (isCancelledCrawl(crawl)) {
    return 'The crawl was cancelled; nothing left to poll. Call start_crawl again to crawl the site anew.';
  }
  if (crawl.status === 'failed') {
    return 'The crawl failed; nothing left to poll. Call start_crawl to try again, or report the error to the site owner.';
  }
  return `Call wait_for_crawl with this execution_id to wait for it, or get_crawl_status again in about ${pollSeconds} s.`;
}

export interface StatusOptions {
  now?: number;
  /** When the crawl was read (default: now). */
  observedAt?: number;
  /** Since when nothing changed, as this server saw it. */
  unchangedSince?: number;
  /** Nothing changed for the stall window. */
  stalled?: boolean;
  /** The latest refresh failed: what happened (already an actionable sentence). */
  warning?: string;
}

/** What to do about a crawl that shows no change. */
export function stalledNextStep(unchangedSeconds: number): string {
  return (
    `Nothing has changed for ${formatDuration(Math.round(unchangedSeconds) * 1000)}: the crawl may be stuck. ` +
    'Check again in a few minutes with get_crawl_status; if it stays unchanged, ask the user whether to cancel_crawl and start_crawl again.'
  );
}

/** Maps a core Crawl to the structured status block (small: no raw body). */
export function crawlStatus(crawl: Crawl, options: StatusOptions = {}): CrawlStatusOutput {
  const finished = isTerminalStatus(crawl.status);
  const pollMs = finished ? 0 : suggestPollIntervalMs(crawl);
  const pollSeconds = Math.round(pollMs / 1000);
  const current = finished ? undefined : currentStep(crawl);
  const now = options.now ?? Date.now();
  const elapsedMs = crawlDurationMs(crawl, now);
  const stalled = !finished && options.stalled === true;
  const out: CrawlStatusOutput = {
    execution_id: crawl.executionId,
    status: crawl.status,
    finished,
    steps: crawl.steps.map((s) => ({ name: s.name, status: s.status })),
    suggested_poll_interval_seconds: pollSeconds,
    checked_seconds_ago: seconds(now - (options.observedAt ?? now)),
    stalled,
    resource_uri: resourceUri(crawl.executionId),
    next_step: statusNextStep(crawl, pollSeconds),
  };
  if (!finished && options.unchangedSince !== undefined) {
    out.unchanged_for_seconds = seconds(now - options.unchangedSince);
  }
  if (stalled) out.next_step = stalledNextStep(out.unchanged_for_seconds ?? 0);
  if (options.warning) out.warning = truncate(options.warning, 400);
  if (crawl.vendor) out.vendor = crawl.vendor;
  if (crawl.error) out.error = truncate(crawl.error, 500);
  if (current)
    out.current_step = { name: current.step.name, number: current.index + 1, of: crawl.steps.length };
  if (crawl.progress) {
    out.progress = {
      collections_found: crawl.progress.collectionsFound,
      listings_found: crawl.progress.listingsFound,
    };
  }
  if (crawl.result) {
    out.result = {
      collections_total: crawl.result.collectionsTotal,
      listings_total: crawl.result.listingsTotal,
    };
  }
  if (crawl.startDate) out.started_at = crawl.startDate;
  if (crawl.stopDate) out.stopped_at = crawl.stopDate;
  if (elapsedMs !== undefined) out.elapsed_seconds = seconds(elapsedMs);
  return out;
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The parts of a crawl core's words need, read back from the structured block. */
function wordsCrawl(out: CrawlStatusOutput): Pick<Crawl, 'steps' | 'progress' | 'result'> {
  return {
    steps: out.steps,
    ...(out.progress
      ? {
          progress: {
            collectionsFound: out.progress.collections_found,
            listingsFound: out.progress.listings_found,
          },
        }
      : {}),
    ...(out.result
      ? {
          result: {
            collectionsTotal: out.result.collections_total,
            listingsTotal: out.result.listings_total,
          },
        }
      : {}),
  };
}

/**
 * One line: `running · step 2/4 Discovering collections · 12 collections, 340 listings so far · 1m20s`. The
 * step, the counts and the duration are core's words (formatStep, formatCounts, formatDuration), as in the
 * Action and the CLI.
 */
export function statusLine(out: CrawlStatusOutput): string {
  const cancelled = isCancelledCrawl({ status: out.status, error: out.error ?? null });
  const crawl = wordsCrawl(out);
  const parts: string[] = [cancelled ? 'failed (cancelled)' : out.status];
  const step = out.current_step ? formatStep(crawl) : undefined;
  if (step) {
    parts.push(step);
  } else if (out.status === 'failed') {
    const failed = out.steps.find((s) => s.status === 'failed');
    if (failed) parts.push(`${cancelled ? 'stopped' : 'failed'} in ${failed.name}`);
  }
  const counts = formatCounts(crawl);
  if (counts) parts.push(counts);
  if (out.elapsed_seconds !== undefined) parts.push(formatDuration(out.elapsed_seconds * 1000));
  if (out.stalled && out.unchanged_for_seconds !== undefined) {
    parts.push(`stalled: no change for ${formatDuration(Math.round(out.unchanged_for_seconds) * 1000)}`);
  }
  return parts.join(' · ');
}

/** The short text that accompanies a status for clients that ignore structuredContent. */
export function statusText(out: CrawlStatusOutput, lead?: string): string {
  const lines = [`${lead ?? `Crawl ${out.execution_id}`}: ${statusLine(out)}.`];
  if (out.checked_seconds_ago >= 1) lines.push(`(Status read ${Math.round(out.checked_seconds_ago)} s ago.)`);
  if (out.error) lines.push(`Error: ${out.error}`);
  if (out.warning) lines.push(`Warning: ${out.warning}`);
  lines.push(`Next: ${out.next_step}`);
  return lines.join('\n');
}

/**
 * A number that grows as the crawl advances: finished steps count 1 each, the running step a fraction that
 * grows with the counts found, and a finished crawl `total`. Callers still enforce strict increase.
 */
export function progressValue(crawl: Crawl): { progress: number; total: number } {
  const total = Math.max(crawl.steps.length, 1);
  // A notification's progress reaches its total when the wait ends, however the crawl ended.
  if (isTerminalStatus(crawl.status)) return { progress: total, total };
  return { progress: progressFraction(crawl) * total, total };
}

/** Keeps progress notifications strictly increasing whatever the crawl reports. */
export class ProgressCounter {
  private last = -1;
  next(value: number): number {
    const rounded = Math.round(value * 1000) / 1000;
    this.last = rounded > this.last ? rounded : Math.round((this.last + 0.001) * 1000) / 1000;
    return this.last;
  }
  get current(): number {
    return this.last;
  }
}

/** `running · step 2/4 Discovering collections · ...` for notifications/progress. */
export function progressMessage(crawl: Crawl, now?: number): string {
  return statusLine(crawlStatus(crawl, now === undefined ? {} : { now }));
}
