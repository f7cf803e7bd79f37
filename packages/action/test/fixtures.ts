import { EventEmitter } from 'node:events';
import type { Crawl, SignalSource, WaitHistory } from '@catalog-crawl/core';
import { CRAWL_STEPS } from '@catalog-crawl/core';
import { makeCrawl, makeHistory } from '@catalog-crawl/test-kit';
import type { Toolkit } from '../src/toolkit.js';

export { CANARY } from '@catalog-crawl/test-kit';
export const T0 = Date.UTC(2025, 0, 2, 3, 4, 5);

/** The kit's running crawl with the ids, dates and counts the Action's snapshots were taken with. */
export function crawl(overrides: Partial<Crawl> = {}): Crawl {
  return makeCrawl({
    executionId: 'crawl-skims-com-a1b2c3d4',
    startDate: '2025-01-02T03:04:05.000Z',
    durationMs: 65_000,
    progress: { collectionsFound: 12, listingsFound: 1234 },
    requestId: 'req_last_poll',
    raw: { execution_id: 'crawl-skims-com-a1b2c3d4', status: 'running' },
    ...overrides,
  });
}

export function completedCrawl(): Crawl {
  return crawl({
    status: 'completed',
    stopDate: '2025-01-02T03:14:05.000Z',
    durationMs: 600_000,
    result: { collectionsTotal: 40, listingsTotal: 5000 },
    steps: CRAWL_STEPS.map((name) => ({ name, status: 'completed' })),
    raw: { execution_id: 'crawl-skims-com-a1b2c3d4', status: 'completed' },
  });
}

/** Four completed steps over ten minutes from T0. */
export function history(overrides: Partial<WaitHistory> = {}): WaitHistory {
  return makeHistory({
    startedAt: T0,
    steps: [
      { name: CRAWL_STEPS[0], status: 'completed', startedAt: T0, finishedAt: T0 + 20_000 },
      { name: CRAWL_STEPS[1], status: 'completed', startedAt: T0 + 20_000, finishedAt: T0 + 200_000 },
      { name: CRAWL_STEPS[2], status: 'completed', startedAt: T0 + 200_000, finishedAt: T0 + 400_000 },
      { name: CRAWL_STEPS[3], status: 'completed', startedAt: T0 + 400_000, finishedAt: T0 + 590_000 },
    ],
    polls: 30,
    ...overrides,
  });
}

export interface MockToolkit extends Toolkit {
  lines: { level: string; text: string }[];
  outputs: Record<string, string>;
  state: Record<string, string>;
  summaries: string[];
  failed: string[];
  secrets: string[];
  inputs: Record<string, string>;
}

/** A toolkit that records everything; `summaryError` makes writeSummary throw. */
export function mockToolkit(
  inputs: Record<string, string>,
  options: { state?: Record<string, string>; summaryError?: Error; debug?: boolean } = {},
): MockToolkit {
  const tk: MockToolkit = {
    lines: [],
    outputs: {},
    state: { ...options.state },
    summaries: [],
    failed: [],
    secrets: [],
    inputs,
    getInput: (name) => inputs[name] ?? '',
    setSecret: (secret) => {
      tk.secrets.push(secret);
    },
    isDebug: () => options.debug ?? false,
    debug: (text) => tk.lines.push({ level: 'debug', text }),
    info: (text) => tk.lines.push({ level: 'info', text }),
    warning: (text) => tk.lines.push({ level: 'warning', text }),
    error: (text) => tk.lines.push({ level: 'error', text }),
    setOutput: (name, value) => {
      tk.outputs[name] = value;
    },
    setFailed: (message) => {
      tk.failed.push(message);
    },
    saveState: (name, value) => {
      tk.state[name] = value;
    },
    getState: (name) => tk.state[name] ?? '',
    writeSummary: async (markdown) => {
      if (options.summaryError) throw options.summaryError;
      tk.summaries.push(markdown);
    },
  };
  return tk;
}

/** A signal source for run(): `fire('SIGINT')` delivers a signal as the runner would. */
export function fakeSignals(): { source: SignalSource; fire: (signal: 'SIGINT' | 'SIGTERM') => void } {
  const emitter = new EventEmitter();
  return {
    source: {
      on: (name, listener) => emitter.on(name, listener),
      off: (name, listener) => emitter.off(name, listener),
    },
    fire: (signal) => emitter.emit(signal),
  };
}
