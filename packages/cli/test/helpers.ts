import type { Crawl, CrawlStep, WaitEvent, WaitResult } from '@catalog-crawl/core';
import { Output, type OutStream, Redactor } from '../src/output.js';

export const CANARY = 'ck_live_CANARY_9f8e7d';

/** A writable that records what is written; `isTTY` makes it look like a terminal. */
export class FakeStream implements OutStream {
  chunks: string[] = [];
  constructor(
    readonly isTTY = false,
    readonly columns = 100,
    readonly rows = 40,
  ) {}
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }
  get text(): string {
    return this.chunks.join('');
  }
  // log-update and cli-cursor only need write/isTTY/columns/rows; these keep NodeJS.WritableStream happy.
  on(): this {
    return this;
  }
}

export function fakeOutput(options: { tty?: boolean; color?: boolean; secrets?: string[] } = {}) {
  const stdout = new FakeStream(options.tty ?? false);
  const stderr = new FakeStream(options.tty ?? false);
  const redactor = new Redactor();
  for (const s of options.secrets ?? []) redactor.add(s);
  const out = new Output(stdout, stderr, redactor, { color: options.color ?? false, errColor: false });
  return { out, stdout, stderr };
}

const STEPS = [
  'Determining crawl method',
  'Discovering collections',
  'Analyzing collections',
  'Extracting listings',
];

export function makeCrawl(partial: Partial<Crawl> & { stepStatuses?: string[] } = {}): Crawl {
  const statuses = partial.stepStatuses ?? ['completed', 'running', 'pending', 'pending'];
  const steps: CrawlStep[] = STEPS.map((name, i) => ({ name, status: statuses[i] ?? 'pending' }));
  const { stepStatuses: _ignored, ...rest } = partial;
  return {
    executionId: 'crawl-skims-com-4ddfa1c9',
    status: 'running',
    error: null,
    vendor: 'skims.com',
    startDate: '2025-01-01T00:00:00.000Z',
    stopDate: null,
    progress: { collectionsFound: 12, listingsFound: 340 },
    steps,
    raw: {},
    ...rest,
  };
}

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
    history: { startedAt: 0, steps: [], polls: 5, transientErrors: 0 },
    elapsedMs: 32_000,
    ...partial,
  };
}

export function event<T extends WaitEvent['type']>(
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
