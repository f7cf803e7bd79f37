import {
  CRAWL_STEPS,
  type Crawl,
  type CrawlStep,
  type StepStatus,
  type WaitEvent,
  type WaitHistory,
  type WaitResult,
} from '@catalog-crawl/core';

/** The four documented steps, in order. */
export const STEP_NAMES: readonly string[] = CRAWL_STEPS;

/** The four steps with these statuses (missing ones are `pending`). */
export function crawlSteps(statuses: readonly StepStatus[]): CrawlStep[] {
  return STEP_NAMES.map((name, i) => ({ name, status: statuses[i] ?? 'pending' }));
}

/**
 * The one crawl every face's vocabulary test reads (90,500 ms, step 2/4, 12 collections, 340 listings): each
 * face must say it in core's words.
 */
export const SAME_CRAWL: Crawl = {
  executionId: 'crawl-skims-com-4ddfa1c9',
  status: 'running',
  error: null,
  vendor: 'skims.com',
  durationMs: 90_500,
  progress: { collectionsFound: 12, listingsFound: 340 },
  steps: crawlSteps(['completed', 'running']),
  raw: {},
};

/**
 * A parsed crawl, running in step 2 of 4 unless overridden. `stepStatuses` builds `steps` from statuses.
 * Faces that snapshot their output pin their own ids and counts on top of these defaults.
 */
export function makeCrawl(partial: Partial<Crawl> & { stepStatuses?: StepStatus[] } = {}): Crawl {
  const { stepStatuses, ...rest } = partial;
  return {
    executionId: 'crawl-skims-com-4ddfa1c9',
    status: 'running',
    error: null,
    vendor: 'skims.com',
    startDate: '2025-01-01T00:00:00.000Z',
    stopDate: null,
    progress: { collectionsFound: 12, listingsFound: 340 },
    steps: crawlSteps(stepStatuses ?? ['completed', 'running', 'pending', 'pending']),
    raw: {},
    ...rest,
  };
}

/** A wait history with no step timings; every step's timing is given by the caller when it matters. */
export function makeHistory(partial: Partial<WaitHistory> = {}): WaitHistory {
  return { startedAt: 0, steps: [], polls: 5, transientErrors: 0, ...partial };
}

/** A completed wait of 32 s with totals. */
export function makeResult(partial: Partial<WaitResult> = {}): WaitResult {
  return {
    outcome: 'completed',
    executionId: 'crawl-skims-com-4ddfa1c9',
    crawl: makeCrawl({
      status: 'completed',
      stepStatuses: ['completed', 'completed', 'completed', 'completed'],
      result: { collectionsTotal: 45, listingsTotal: 1200 },
      durationMs: 32_000,
    }),
    history: makeHistory(),
    elapsedMs: 32_000,
    ...partial,
  };
}

/** A wait event of `type` at 12 s into a one-hour wait; `fields` adds the type's own fields. */
export function makeEvent<T extends WaitEvent['type']>(
  type: T,
  fields: Record<string, unknown> = {},
  crawl: Crawl | undefined = makeCrawl(),
): WaitEvent {
  return {
    type,
    executionId: crawl?.executionId ?? 'crawl-skims-com-4ddfa1c9',
    elapsedMs: 12_000,
    remainingMs: 3_588_000,
    crawl,
    ...fields,
  } as unknown as WaitEvent;
}

/**
 * A GET /v2/crawl/{id} body as the API sends it (snake_case). `step` is the index of the running step
 * (4 = all completed); `counts` are collections and listings found, or null for no `meta.progress`.
 */
export function statusBody(
  status: string,
  step = 0,
  counts: [number, number] | null = [0, 0],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const steps = STEP_NAMES.map((name, i) => ({
    name,
    status:
      i < step || status === 'completed'
        ? 'completed'
        : i === step && status === 'running'
          ? 'running'
          : 'pending',
  }));
  const meta: Record<string, unknown> = { vendor: 'skims.com', steps };
  if (counts) meta['progress'] = { collections_found: counts[0], listings_found: counts[1] };
  return { execution_id: 'crawl-1', status, error: null, meta, ...extra };
}
