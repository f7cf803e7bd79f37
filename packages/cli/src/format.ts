import type { CancelResult, Crawl, CrawlStep, WaitEvent, WaitResult } from '@catalog-crawl/core';
import type { Colors } from './output.js';

/** The four documented steps, in order (a copy of core's CRAWL_STEPS, kept here so renderers stay pure). */
export const STEP_NAMES = [
  'Determining crawl method',
  'Discovering collections',
  'Analyzing collections',
  'Extracting listings',
] as const;

export const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'] as const;

/** `0:05`, `12:34`, `1:02:03`. */
export function clock(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** `450ms`, `12s`, `3m05s`, `1h02m`. */
export function humanDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const total = Math.round(ms / 1000);
  if (total < 60) return `${total}s`;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  return `${m}m${String(s).padStart(2, '0')}s`;
}

/** C0/C1 controls (but tab and newline) and bidi controls: printed on a terminal they could rewrite the screen. */
export const UNSAFE_CHARS =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text from the API made safe for a terminal line: control and bidi characters become `�`, whitespace runs
 * one space, and it is clipped to `max` characters.
 */
export function safeText(text: string, max = 80): string {
  const clean = text.replace(UNSAFE_CHARS, '\uFFFD').replace(/\s+/g, ' ').trim();
  const chars = Array.from(clean);
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : clean;
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

export function plural(n: number, word: string): string {
  return `${count(n)} ${word}${n === 1 ? '' : 's'}`;
}

/** The steps to show: the crawl's own, or the four documented ones as pending when it sent none. */
export function displaySteps(crawl: Crawl | undefined): CrawlStep[] {
  if (crawl && crawl.steps.length > 0) return crawl.steps;
  return STEP_NAMES.map((name) => ({
    name,
    status: crawl?.status === 'completed' ? 'completed' : 'pending',
  }));
}

/** Counts to show: the final totals when known, else the running progress. */
export function displayCounts(
  crawl: Crawl | undefined,
): { collections: number; listings: number } | undefined {
  if (!crawl) return undefined;
  if (crawl.result)
    return { collections: crawl.result.collectionsTotal, listings: crawl.result.listingsTotal };
  if (crawl.progress)
    return { collections: crawl.progress.collectionsFound, listings: crawl.progress.listingsFound };
  return undefined;
}

export function countsText(crawl: Crawl | undefined): string | undefined {
  const counts = displayCounts(crawl);
  if (!counts) return undefined;
  return `${plural(counts.collections, 'collection')}, ${plural(counts.listings, 'listing')}`;
}

/** A crawl that failed because it was cancelled (the API reports cancelled runs as `failed`). */
export function isCanceledCrawl(crawl: Crawl | undefined): boolean {
  return crawl?.status === 'failed' && typeof crawl.error === 'string' && /cancel|abort/i.test(crawl.error);
}

export function stepMark(status: string, colors: Colors, frame: number): string {
  switch (status) {
    case 'completed':
      return colors.green('✔');
    case 'failed':
      return colors.red('✖');
    case 'running':
      return colors.cyan(SPINNER[frame % SPINNER.length] ?? '*');
    case 'pending':
      return colors.dim('·');
    default:
      return colors.yellow('?');
  }
}

/** Fraction of the crawl done, from its steps: completed steps count 1, the running one 1/2. */
export function stepFraction(steps: readonly CrawlStep[]): number {
  if (steps.length === 0) return 0;
  let done = 0;
  for (const step of steps) {
    if (step.status === 'completed') done += 1;
    else if (step.status === 'running') done += 0.5;
  }
  return Math.min(1, done / steps.length);
}

export function progressBar(fraction: number, width: number, colors: Colors): string {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `${colors.cyan('█'.repeat(filled))}${colors.dim('░'.repeat(width - filled))}`;
}

export function statusColor(status: string, colors: Colors): string {
  switch (status) {
    case 'completed':
      return colors.green(status);
    case 'failed':
      return colors.red(status);
    case 'running':
      return colors.cyan(status);
    default:
      return colors.yellow(status);
  }
}

/** A JSON-safe summary of a crawl snapshot (no `raw`). */
export function crawlJson(crawl: Crawl | undefined): Record<string, unknown> | null {
  if (!crawl) return null;
  return {
    executionId: crawl.executionId,
    status: crawl.status,
    error: crawl.error,
    vendor: crawl.vendor ?? null,
    startDate: crawl.startDate ?? null,
    stopDate: crawl.stopDate ?? null,
    durationMs: crawl.durationMs ?? null,
    progress: crawl.progress ?? null,
    steps: crawl.steps.map((s) => ({ name: s.name, status: s.status })),
    result: crawl.result ?? null,
    requestId: crawl.requestId ?? null,
  };
}

export function cancelJson(cancel: CancelResult | undefined): Record<string, unknown> | null {
  if (!cancel) return null;
  return {
    executionId: cancel.executionId,
    outcome: cancel.outcome,
    stopDate: cancel.stopDate,
    message: cancel.message ?? null,
    requestId: cancel.requestId ?? null,
  };
}

/** Error details safe to print (already free of the key; the output layer redacts again). */
export function errorJson(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    const e = error as Error & { code?: unknown; status?: unknown; requestId?: unknown; field?: unknown };
    const out: Record<string, unknown> = { name: e.name, message: e.message };
    if (typeof e.code === 'string') out['code'] = e.code;
    if (typeof e.status === 'number') out['status'] = e.status;
    if (typeof e.requestId === 'string') out['requestId'] = e.requestId;
    if (typeof e.field === 'string') out['field'] = e.field;
    return out;
  }
  return { name: 'Error', message: String(error) };
}

/** One JSON line per waiter event. */
export function eventJson(event: WaitEvent): Record<string, unknown> {
  const base: Record<string, unknown> = {
    type: event.type,
    executionId: event.executionId,
    elapsedMs: Math.round(event.elapsedMs),
    remainingMs: Math.round(event.remainingMs),
  };
  switch (event.type) {
    case 'status':
      base['previous'] = event.previous ?? null;
      base['status'] = event.status;
      break;
    case 'step_started':
      base['step'] = event.step;
      base['index'] = event.index;
      break;
    case 'step_finished':
      base['step'] = event.step;
      base['index'] = event.index;
      base['status'] = event.status;
      break;
    case 'progress':
      base['progress'] = event.progress;
      base['previous'] = event.previous ?? null;
      break;
    case 'warning':
      base['kind'] = event.kind;
      base['message'] = event.message;
      break;
    default:
      break;
  }
  base['crawl'] = crawlJson(event.crawl);
  return base;
}

export function resultJson(result: WaitResult, exitCode: number): Record<string, unknown> {
  return {
    type: 'result',
    executionId: result.executionId,
    outcome: result.outcome,
    exitCode,
    elapsedMs: Math.round(result.elapsedMs),
    polls: result.history.polls,
    transientErrors: result.history.transientErrors,
    crawl: crawlJson(result.crawl),
    cancel: cancelJson(result.cancel),
  };
}
