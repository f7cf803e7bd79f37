// CONTRACT (to be implemented)
import type { CatalogClient } from './client.js';
import type { Crawl, WaitOptions, WaitResult, WatchItem } from './types.js';
export declare function waitForCrawl(client: CatalogClient, executionId: string, options?: WaitOptions): Promise<WaitResult>;
export declare function watchCrawl(client: CatalogClient, executionId: string, options?: Omit<WaitOptions, 'onEvent'>): AsyncIterable<WatchItem>;
/** The delay before the next poll given the last snapshot (phase-aware, jittered, within [min, max]). */
export declare function nextPollDelayMs(crawl: Crawl | undefined, options: { minIntervalMs: number; maxIntervalMs: number; random: () => number }): number;
/** What to tell an agent or user: how long to wait before checking again. */
export declare function suggestPollIntervalMs(crawl: Crawl | undefined): number;
