import type { Crawl, WaitEvent, WaitOutcome, WaitResult } from '@catalog-crawl/core';

/** How one waited crawl ended, from the CLI's point of view. */
export interface FinishInfo {
  executionId: string;
  exitCode: number;
  /** The waiter's outcome, or `error` (an exception such as auth or not found), or `interrupted` (Ctrl-C). */
  outcome: WaitOutcome | 'error' | 'interrupted';
  /** One human line: what happened (and what to do next). */
  message: string;
  /** A second line with what to do, when there is one. */
  hint?: string;
  result?: WaitResult;
  error?: unknown;
  crawl?: Crawl;
  elapsedMs?: number;
}

/** Receives what a wait (of one or several crawls) shows: the three output modes implement it. */
export interface WaitReporter {
  /** Before the first poll. */
  begin(executionIds: readonly string[]): void;
  event(event: WaitEvent): void;
  /** One call per crawl, when its wait ends. */
  finish(info: FinishInfo): void;
  /** After every crawl finished; stops timers and prints the summary. */
  close(exitCode: number): void;
}
