// The poll schedule: when to poll next, given where the crawl is.
import { currentStep, isTerminalStatus } from './crawl.js';
import { CRAWL_STEPS, type Crawl } from './types.js';
import { WAIT_DEFAULTS } from './wait-options.js';

/**
 * Where the crawl is, from 0 (nothing running yet, or an early step) to 1 (the last step runs, so it can
 * finish any moment). A crawl cannot complete before its last step runs, so early phases can be polled slowly.
 */
export function phase(crawl: Crawl | undefined): number {
  if (!crawl || crawl.status === 'pending') return 0;
  if (isTerminalStatus(crawl.status)) return 1;
  const steps = crawl.steps;
  if (steps.length === 0) return 0.5;
  const current = currentStep(crawl);
  if (!current) return steps.every((s) => s.status === 'completed') ? 1 : 0.5;
  const known = (CRAWL_STEPS as readonly string[]).indexOf(current.step.name);
  if (known >= 0) return known === CRAWL_STEPS.length - 1 ? 1 : known / (CRAWL_STEPS.length - 1) / 2;
  return steps.length === 1 ? 1 : current.index / (steps.length - 1);
}

function target(crawl: Crawl | undefined, min: number, max: number): number {
  return max - phase(crawl) * (max - min);
}

/**
 * A last step rarely takes less than this share of the time the earlier steps took, so until then it is
 * polled at the slow end like the early steps, and at the fast end afterwards.
 */
export const LAST_STEP_SLOW_SHARE = 0.25;

export interface PollDelayOptions {
  minIntervalMs: number;
  maxIntervalMs: number;
  random: () => number;
  /** How long the last step has been seen running. */
  lastStepRunningMs?: number;
  /** How long the crawl ran before its last step started. */
  earlierStepsMs?: number;
}

/**
 * The delay before the next poll given the last snapshot, within [min, max]. Early phases are polled near
 * the slow end with a jitter of a quarter of the band, so many waiters spread out instead of polling in
 * lock-step. Once the last step may finish (see LAST_STEP_SLOW_SHARE) the delay is the fast end plus at most
 * 2.5 % of the band: any more would make the detection lag longer than a fixed poll at the fast end.
 */
export function nextPollDelayMs(crawl: Crawl | undefined, options: PollDelayOptions): number {
  const { minIntervalMs: min, maxIntervalMs: max } = options;
  const r = Math.min(1, Math.max(0, options.random()));
  const band = max - min;
  if (phase(crawl) === 1 && !(crawl && isTerminalStatus(crawl.status))) {
    const { lastStepRunningMs: running, earlierStepsMs: earlier } = options;
    const slowFor =
      running !== undefined && earlier !== undefined ? earlier * LAST_STEP_SLOW_SHARE - running : 0;
    if (slowFor <= 0) return Math.round(min + r * (band / 40));
    // Slow, but poll again right when the last step may start to finish.
    return Math.round(Math.max(min, Math.min(max - r * (band / 4), slowFor)));
  }
  const center = target(crawl, min, max);
  const spread = band / 4;
  const lo = Math.max(min, center - spread);
  const hi = Math.min(max, center + spread);
  return Math.round(lo + r * (hi - lo));
}

/** What to tell an agent or user: how long to wait before checking again (whole seconds; 0 once terminal). */
export function suggestPollIntervalMs(crawl: Crawl | undefined): number {
  if (crawl && isTerminalStatus(crawl.status)) return 0;
  const ms = target(crawl, WAIT_DEFAULTS.minIntervalMs, WAIT_DEFAULTS.maxIntervalMs);
  return Math.round(ms / 1_000) * 1_000;
}
