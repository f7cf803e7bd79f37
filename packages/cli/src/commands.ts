import {
  WAIT_DEFAULTS as CORE_WAIT_DEFAULTS,
  type Crawl,
  crawlDurationMs,
  crawlOutcome,
  formatCounts,
  formatDuration,
  InvalidInputError,
  type ListStatusFilter,
  NOT_FOUND_GRACE_MS,
  validateWaitOptions,
  type WaitOptionName,
} from '@catalog-crawl/core';
import type { CliContext } from './context.js';
import { EXIT, UsageError } from './exit-codes.js';
import { cancelJson, crawlJson, displaySteps, statusColor } from './format.js';
import { renderCrawlBlock } from './render/live.js';
import { type CliWaitOptions, waitMany } from './wait-many.js';

/** Raw wait options as commander parses them (strings with units). */
export interface RawWaitOptions {
  timeout: string;
  minInterval: string;
  maxInterval: string;
  stallTimeout?: string;
  cancelOnTimeout?: boolean;
  cancelOnAbort?: boolean;
}

/** Core's defaults, as the flags show them (the timeout in minutes, as action.yml writes it: `60m`). */
export const WAIT_DEFAULTS = {
  timeout: `${CORE_WAIT_DEFAULTS.timeoutMs / 60_000}m`,
  minInterval: formatDuration(CORE_WAIT_DEFAULTS.minIntervalMs),
  maxInterval: formatDuration(CORE_WAIT_DEFAULTS.maxIntervalMs),
} as const;

const FLAGS: Partial<Record<WaitOptionName, string>> = {
  timeoutMs: '--timeout',
  minIntervalMs: '--min-interval',
  maxIntervalMs: '--max-interval',
  stallTimeoutMs: '--stall-timeout',
};

/** Parses and checks the wait options (core's one validator, in the flags' names) before any request. */
export async function parseWaitOptions(raw: RawWaitOptions): Promise<CliWaitOptions> {
  const { parseDuration } = await import('@catalog-crawl/core');
  const options = {
    timeoutMs: parseDuration(raw.timeout, '--timeout'),
    minIntervalMs: parseDuration(raw.minInterval, '--min-interval'),
    maxIntervalMs: parseDuration(raw.maxInterval, '--max-interval'),
    stallTimeoutMs:
      raw.stallTimeout === undefined ? undefined : parseDuration(raw.stallTimeout, '--stall-timeout'),
  };
  try {
    validateWaitOptions(options, (field) => FLAGS[field] ?? field);
  } catch (error) {
    if (error instanceof InvalidInputError) throw new UsageError(`${error.message}.`);
    throw error;
  }
  return {
    ...options,
    cancelOnTimeout: raw.cancelOnTimeout === true,
    cancelOnAbort: raw.cancelOnAbort === true,
  };
}

export async function startCommand(
  ctx: CliContext,
  url: string,
  raw: RawWaitOptions & { wait?: boolean },
): Promise<number> {
  const { validateCrawlUrl } = await import('@catalog-crawl/core');
  const target = validateCrawlUrl(url);
  const waitOptions = raw.wait ? await parseWaitOptions(raw) : undefined;
  const client = await ctx.client();
  const started = await client.startCrawl({ url: target });
  const id = started.executionId;
  if (ctx.json) {
    ctx.out.json({
      type: 'started',
      executionId: id,
      status: started.status,
      url: target,
      creditsUsed: started.creditsUsed ?? null,
      requestId: started.requestId ?? null,
    });
  } else if (!waitOptions) {
    // stdout carries only the id, so that `id=$(catalog-crawl start example.com)` works.
    ctx.out.line(id);
    ctx.out.errLine(`Started crawl ${id} for ${target}. Wait for it: catalog-crawl wait ${id}`);
  } else {
    ctx.out.line(`Started crawl ${ctx.out.colors.bold(id)} for ${target}`);
  }
  if (!waitOptions) return EXIT.OK;
  // Right after the POST a GET may not see the crawl yet: core's "just started" grace.
  const { exitCode } = await waitMany(ctx, client, [id], {
    ...waitOptions,
    notFoundGraceMs: NOT_FOUND_GRACE_MS,
  });
  return exitCode;
}

export async function waitCommand(ctx: CliContext, ids: string[], raw: RawWaitOptions): Promise<number> {
  const { validateExecutionId } = await import('@catalog-crawl/core');
  const unique = [...new Set(ids.map((id) => validateExecutionId(id)))];
  const options = await parseWaitOptions(raw);
  const client = await ctx.client();
  const { exitCode } = await waitMany(ctx, client, unique, options);
  return exitCode;
}

/** `status`: 0 pending/running/completed, 1 failed, 6 canceled. */
export function exitCodeForCrawl(crawl: Crawl): number {
  const outcome = crawlOutcome(crawl);
  return outcome === 'canceled' ? EXIT.CANCELED : outcome === 'failed' ? EXIT.FAILED : EXIT.OK;
}

export async function statusCommand(ctx: CliContext, id: string): Promise<number> {
  const { validateExecutionId } = await import('@catalog-crawl/core');
  const executionId = validateExecutionId(id);
  const client = await ctx.client();
  const crawl = await client.getCrawl(executionId);
  const exitCode = exitCodeForCrawl(crawl);
  if (ctx.json) {
    ctx.out.json({ type: 'status', ...crawlJson(crawl), exitCode });
    return exitCode;
  }
  const c = ctx.out.colors;
  const durationMs = crawlDurationMs(crawl) ?? 0;
  const lines = renderCrawlBlock(
    { executionId: crawl.executionId, crawl, startedAt: 0, done: undefined },
    { colors: c, frame: 0, now: durationMs, static: true },
  );
  for (const line of lines) ctx.out.line(line);
  if (crawl.startDate) ctx.out.line(`  ${c.dim('started')}  ${crawl.startDate}`);
  if (crawl.stopDate) ctx.out.line(`  ${c.dim('stopped')}  ${crawl.stopDate}`);
  if (crawl.error) ctx.out.line(`  ${c.red(`error: ${crawl.error}`)}`);
  if (crawl.status === 'pending' || crawl.status === 'running') {
    ctx.out.line(c.dim(`  Wait for it: catalog-crawl wait ${crawl.executionId}`));
  }
  return exitCode;
}

export async function cancelCommand(ctx: CliContext, id: string): Promise<number> {
  const { validateExecutionId } = await import('@catalog-crawl/core');
  const executionId = validateExecutionId(id);
  const client = await ctx.client();
  const result = await client.cancelCrawl(executionId);
  // Not cancelled yet is not success (the CLI's own exit code for it comes with --when-running).
  const exitCode = result.outcome === 'not_running_yet' ? EXIT.FAILED : EXIT.OK;
  if (ctx.json) {
    ctx.out.json({ type: 'cancel', ...cancelJson(result), exitCode });
    return exitCode;
  }
  if (result.outcome === 'not_running_yet') {
    ctx.out.line(
      `Crawl ${executionId} has not started yet (pending): the API cancels only running crawls. Cancel it again once it runs.`,
    );
    return EXIT.FAILED;
  }
  if (result.outcome === 'canceled') {
    ctx.out.line(`Canceled crawl ${executionId}.`);
  } else {
    ctx.out.line(
      `Crawl ${executionId} had already finished; nothing to cancel.${result.message ? ` (${result.message})` : ''}`,
    );
    ctx.out.line(ctx.out.colors.dim(`See how it ended: catalog-crawl status ${executionId}`));
  }
  return EXIT.OK;
}

export async function listCommand(
  ctx: CliContext,
  options: { status?: ListStatusFilter; page?: number; pageSize?: number },
): Promise<number> {
  const client = await ctx.client();
  const list = await client.listCrawls({
    status: options.status,
    page: options.page,
    pageSize: options.pageSize,
  });
  if (ctx.json) {
    ctx.out.json({ type: 'list', items: list.items, pagination: list.pagination });
    return EXIT.OK;
  }
  const c = ctx.out.colors;
  if (list.items.length === 0) {
    ctx.out.line(options.status ? `No ${options.status} crawls.` : 'No crawls.');
  } else {
    const idWidth = Math.max(12, ...list.items.map((i) => i.executionId.length));
    ctx.out.line(c.dim(`${'EXECUTION ID'.padEnd(idWidth)}  ${'STATUS'.padEnd(10)}  CREATED`));
    for (const item of list.items) {
      const status = statusColor(item.status.padEnd(10), c);
      ctx.out.line(`${item.executionId.padEnd(idWidth)}  ${status}  ${item.createdAt ?? ''}`);
    }
  }
  const p = list.pagination;
  const pageInfo = `page ${p.page} of ${Math.max(1, p.totalPages)} (${p.totalItems} crawl${p.totalItems === 1 ? '' : 's'})`;
  const next = p.hasNext
    ? `; next: catalog-crawl list --page ${p.page + 1}${options.status ? ` --status ${options.status}` : ''}`
    : '';
  ctx.out.line(c.dim(`${pageInfo}${next}`));
  return EXIT.OK;
}

/** The demo's closing summary lines. */
export function demoSummary(crawl: Crawl | undefined, elapsedMs: number, plannedMs: number): string[] {
  const counts = formatCounts(crawl);
  const steps = displaySteps(crawl).filter((s) => s.status === 'completed').length;
  return [
    `Crawl of ${crawl?.vendor ?? 'the sample vendor'} ${crawl?.status ?? 'ended'}: ${steps}/4 steps${counts ? `, ${counts}` : ''}.`,
    `It took ${formatDuration(elapsedMs)} here for a crawl that takes about ${formatDuration(plannedMs)} on the real API.`,
  ];
}
