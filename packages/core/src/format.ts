// The words every face uses for the same things: durations, counts, where a crawl is, how far it got.
// Faces add only their own glyphs, colours and markup around these.

import { currentStep, isTerminalStatus } from './crawl.js';
import { UNIT_MS } from './duration.js';
import type { Crawl } from './types.js';

const BIG_UNITS = ['d', 'h', 'm', 's'] as const;

/**
 * A duration for people, with one precision rule: below 1 s in whole milliseconds (`450ms`), below 10 s to
 * a tenth of a second (`1.5s`), below 1 min in whole seconds (`42s`), and from 1 min on in at most two units,
 * the smaller one rounded (`1m31s` for 90,500 ms, `1h2m`, `1d1h`). A zero second unit is left out (`2h`).
 * The text parses back with parseDuration to the value rounded to its last unit.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 0) return `-${formatDuration(-ms)}`;
  let value = ms;
  if (value < 1_000) {
    const r = Math.round(value);
    if (r < 1_000) return `${r}ms`;
    value = 1_000;
  }
  if (value < 10_000) {
    const s = Number((value / 1_000).toFixed(1));
    if (s < 10) return `${s}s`;
    value = 10_000;
  }
  if (value < 60_000) {
    const s = Math.round(value / 1_000);
    if (s < 60) return `${s}s`;
    value = 60_000;
  }
  const split = (v: number) => {
    const i = BIG_UNITS.findIndex((u) => v >= UNIT_MS[u]);
    return { big: BIG_UNITS[i]!, small: BIG_UNITS[i + 1]! };
  };
  const { small } = split(value);
  const rounded = Math.round(value / UNIT_MS[small]) * UNIT_MS[small];
  // Rounding may carry into a larger unit (59m59.7s -> 1h): split again.
  const { big, small: next } = split(rounded);
  const n = Math.floor(rounded / UNIT_MS[big]);
  const rest = Math.round((rounded - n * UNIT_MS[big]) / UNIT_MS[next]);
  return `${n}${big}${rest > 0 ? `${rest}${next}` : ''}`;
}

let numberFormat: Intl.NumberFormat | undefined;

/**
 * `12,345`, whatever the machine's locale. Whole numbers (every count) are grouped here: the first
 * Intl.NumberFormat of a process loads ICU data, about 20 ms on Node 24, which was a fifth of the Action's
 * start-up. Anything else goes through Intl, created on first need.
 */
export function formatCount(n: number): string {
  if (Number.isSafeInteger(n)) {
    return `${n < 0 ? '-' : ''}${String(Math.abs(n)).replace(/\B(?=(\d{3})+$)/g, ',')}`;
  }
  numberFormat ??= new Intl.NumberFormat('en-US');
  return numberFormat.format(n);
}

/** `1 listing`, `12,345 listings`. */
export function formatCountOf(n: number, noun: string): string {
  return `${formatCount(n)} ${noun}${n === 1 ? '' : 's'}`;
}

/** The counts to show: the final totals when the crawl reported them, else what it found so far. */
export function crawlCounts(
  crawl: Pick<Crawl, 'result' | 'progress'> | undefined,
): { collections: number; listings: number; final: boolean } | undefined {
  if (crawl?.result) {
    return { collections: crawl.result.collectionsTotal, listings: crawl.result.listingsTotal, final: true };
  }
  if (crawl?.progress) {
    return {
      collections: crawl.progress.collectionsFound,
      listings: crawl.progress.listingsFound,
      final: false,
    };
  }
  return undefined;
}

/** `12 collections, 340 listings` (totals) or `12 collections, 340 listings so far`; undefined when unknown. */
export function formatCounts(crawl: Pick<Crawl, 'result' | 'progress'> | undefined): string | undefined {
  const counts = crawlCounts(crawl);
  if (!counts) return undefined;
  const text = `${formatCountOf(counts.collections, 'collection')}, ${formatCountOf(counts.listings, 'listing')}`;
  return counts.final ? text : `${text} so far`;
}

/** `step 2/4 Discovering collections` for the step currentStep picks; undefined when there is none. */
export function formatStep(crawl: Pick<Crawl, 'steps'> | undefined): string | undefined {
  const current = crawl ? currentStep(crawl) : undefined;
  return current ? `step ${current.number}/${current.of} ${current.step.name}` : undefined;
}

/**
 * Where the crawl is, as parts a face joins with its own separator: the status, the step (while not
 * finished, or the step a failed crawl stopped at) and the counts.
 */
export function crawlPosition(crawl: Crawl | undefined): string[] {
  if (!crawl) return ['not seen yet'];
  const parts: string[] = [crawl.status];
  const step =
    !isTerminalStatus(crawl.status) || crawl.steps.some((s) => s.status === 'failed')
      ? formatStep(crawl)
      : undefined;
  if (step) parts.push(step);
  const counts = formatCounts(crawl);
  if (counts) parts.push(counts);
  return parts;
}

/** `running, step 2/4 Discovering collections, 12 collections, 340 listings so far`. */
export function formatPosition(crawl: Crawl | undefined, separator = ', '): string {
  return crawlPosition(crawl).join(separator);
}

/**
 * How far the crawl got, from 0 to 1: each finished step counts 1, the running step up to 0.9 of one as its
 * counts grow (never reaching the next step), and a completed crawl 1. A failed or cancelled crawl stays
 * where it stopped. Without steps: 0 until completed.
 */
export function progressFraction(crawl: Pick<Crawl, 'status' | 'steps' | 'progress'> | undefined): number {
  if (!crawl) return 0;
  if (crawl.status === 'completed') return 1;
  const total = crawl.steps.length;
  if (total === 0) return 0;
  const done = crawl.steps.filter((s) => s.status === 'completed' || s.status === 'failed').length;
  const running = crawl.steps.some((s) => s.status === 'running');
  const found = (crawl.progress?.collectionsFound ?? 0) + (crawl.progress?.listingsFound ?? 0);
  const within = running ? 0.9 * (1 - 1 / (1 + found / 100)) : 0;
  return Math.min(1, (done + within) / total);
}

/**
 * How long the crawl has run: the API's `duration_ms`, else its start and stop dates (stop = `now` while it
 * runs); undefined when neither is usable.
 */
export function crawlDurationMs(
  crawl: Pick<Crawl, 'durationMs' | 'startDate' | 'stopDate'>,
  now: number = Date.now(),
): number | undefined {
  if (typeof crawl.durationMs === 'number' && Number.isFinite(crawl.durationMs)) return crawl.durationMs;
  if (!crawl.startDate) return undefined;
  const start = Date.parse(crawl.startDate);
  if (!Number.isFinite(start)) return undefined;
  const stop = crawl.stopDate ? Date.parse(crawl.stopDate) : now;
  return Number.isFinite(stop) && stop >= start ? stop - start : undefined;
}
