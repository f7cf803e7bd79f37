// CONTRACT (to be implemented)
import type { Crawl, CrawlStatus, CrawlStep } from './types.js';
/** completed and failed are terminal; pending, running and unknown strings are not. */
export declare function isTerminalStatus(status: CrawlStatus): boolean;
/** The running step, else the first pending one after the last completed, else undefined. */
export declare function currentStep(crawl: Crawl): { step: CrawlStep; index: number } | undefined;
/** Returns the trimmed id, or throws InvalidInputError('executionId', ...) saying what is wrong. */
export declare function validateExecutionId(id: unknown): string;
/** Returns the trimmed url, or throws InvalidInputError('url', ...). */
export declare function validateCrawlUrl(url: unknown): string;
