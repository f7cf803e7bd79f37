import { type Crawl, type CrawlStep, type StepStatus, type WaitEvent, type WaitHistory, type WaitResult } from '@catalog-crawl/core';
/** The four documented steps, in order. */
export declare const STEP_NAMES: readonly string[];
/** The four steps with these statuses (missing ones are `pending`). */
export declare function crawlSteps(statuses: readonly StepStatus[]): CrawlStep[];
/**
 * A parsed crawl, running in step 2 of 4 unless overridden. `stepStatuses` builds `steps` from statuses.
 * Faces that snapshot their output pin their own ids and counts on top of these defaults.
 */
export declare function makeCrawl(partial?: Partial<Crawl> & {
    stepStatuses?: StepStatus[];
}): Crawl;
/** A wait history with no step timings; every step's timing is given by the caller when it matters. */
export declare function makeHistory(partial?: Partial<WaitHistory>): WaitHistory;
/** A completed wait of 32 s with totals. */
export declare function makeResult(partial?: Partial<WaitResult>): WaitResult;
/** A wait event of `type` at 12 s into a one-hour wait; `fields` adds the type's own fields. */
export declare function makeEvent<T extends WaitEvent['type']>(type: T, fields?: Record<string, unknown>, crawl?: Crawl | undefined): WaitEvent;
/**
 * A GET /v2/crawl/{id} body as the API sends it (snake_case). `step` is the index of the running step
 * (4 = all completed); `counts` are collections and listings found, or null for no `meta.progress`.
 */
export declare function statusBody(status: string, step?: number, counts?: [number, number] | null, extra?: Record<string, unknown>): Record<string, unknown>;
//# sourceMappingURL=crawls.d.ts.map