import {
  type CatalogClient,
  WAIT_DEFAULTS as CORE_WAIT_DEFAULTS,
  type Crawl,
  crawlDurationMs,
  crawlOutcome,
  type ExportFormat,
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
import { cancelJson, crawlJson, displaySteps, safeText, statusColor } from './format.js';
import { renderCrawlBlock } from './render/live.js';
import {
  checkOutputPath,
  type ExportTarget,
  exportSummaryLines,
  exportTo,
  openResults,
  reportExport,
  resolveFormat,
  withInterrupts,
} from './results.js';
import { type CliWaitOptions, waitMany } from './wait-many.js';

/** Raw wait options as commander parses them (strings with units). */
export interface RawWaitOptions {
  timeout: string;
  minInterval: string;
  maxInterval: string;
  stallTimeout?: string;
  cancelOnTimeout?: boolean;
  cancelOnAbort?: boolean;
  cancelOnStall?: boolean;
  cancelWait: string;
}

/** Core's defaults, as the flags show them (the timeout in minutes, as action.yml writes it: `60m`). */
export const WAIT_DEFAULTS = {
  timeout: `${CORE_WAIT_DEFAULTS.timeoutMs / 60_000}m`,
  minInterval: formatDuration(CORE_WAIT_DEFAULTS.minIntervalMs),
  maxInterval: formatDuration(CORE_WAIT_DEFAULTS.maxIntervalMs),
  /**
   * How long a cancel keeps trying while the crawl is pending: core's default, the Action's budget after a
   * signal. The CLI has no post step to try longer later, and a CI runner kills a job soon after its SIGTERM.
   */
  cancelWait: '5s',
} as const;

/** `cancel --when-running` without a duration: how long to wait for a pending crawl to start. */
export const WHEN_RUNNING_DEFAULT = '10m';

const FLAGS: Partial<Record<WaitOptionName, string>> = {
  timeoutMs: '--timeout',
  minIntervalMs: '--min-interval',
  maxIntervalMs: '--max-interval',
  stallTimeoutMs: '--stall-timeout',
  cancelWaitMs: '--cancel-wait',
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
    cancelWaitMs: parseDuration(raw.cancelWait ?? WAIT_DEFAULTS.cancelWait, '--cancel-wait'),
  };
  if (raw.cancelOnStall && options.stallTimeoutMs === undefined) {
    throw new UsageError(
      '--cancel-on-stall needs --stall-timeout <duration> (stall detection is off without it).',
    );
  }
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
    cancelOnStall: raw.cancelOnStall === true,
  };
}

export async function startCommand(
  ctx: CliContext,
  url: string,
  raw: RawWaitOptions & { wait?: boolean; results?: string; format?: string },
): Promise<number> {
  const { validateCrawlUrl } = await import('@catalog-crawl/core');
  const target = validateCrawlUrl(url);
  const waitOptions = raw.wait ? await parseWaitOptions(raw) : undefined;
  // Everything --results needs is checked before the crawl is started (and paid for).
  if (raw.format !== undefined && raw.results === undefined) {
    throw new UsageError('--format applies to --results FILE: add --results FILE, or leave --format out.');
  }
  let resultsFormat: ExportFormat | undefined;
  if (raw.results !== undefined) {
    if (!waitOptions)
      throw new UsageError('--results needs --wait: the results exist once the crawl completed.');
    if (raw.results === '-') throw new UsageError('--results needs a file name (stdout shows the wait).');
    resultsFormat = await resolveFormat(raw.format, raw.results, '--results');
    await checkOutputPath(raw.results, '--results');
  }
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
  if (exitCode !== EXIT.OK || raw.results === undefined || resultsFormat === undefined) return exitCode;
  return saveResults(ctx, client, id, raw.results, resultsFormat);
}

/** `start --wait --results FILE`: the completed crawl's listings, saved whole to FILE. */
async function saveResults(
  ctx: CliContext,
  client: CatalogClient,
  executionId: string,
  file: string,
  format: ExportFormat,
): Promise<number> {
  return withInterrupts(ctx, async (signal) => {
    const read = await openResults(ctx, client, { executionId }, 'listings', { signal });
    const target: ExportTarget = {
      kind: 'listings',
      vendor: read.vendor,
      format,
      file,
      signal,
      approximations: [],
      executionId,
      ...(read.expected !== undefined ? { expected: read.expected } : {}),
    };
    const outcome = await exportTo(ctx, read.results, target);
    if (ctx.json) reportExport(ctx, target, outcome);
    else for (const line of exportSummaryLines(target, outcome)) ctx.out.line(line);
    return EXIT.OK;
  });
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
  const lines = renderCrawlBlock(
    { executionId: crawl.executionId, crawl, startedAt: 0, done: undefined },
    { colors: c, frame: 0, now: 0, static: true, durationMs: crawlDurationMs(crawl) },
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

/** `cancel` options as commander parses them: `--when-running` alone is `true`, with a value a duration. */
export interface RawCancelOptions {
  whenRunning?: boolean | string;
  minInterval: string;
  maxInterval: string;
}

/**
 * `cancel <id>`: the API cancels only running crawls. A pending crawl refuses (core reads the crawl after any
 * refusal, never the wording): without `--when-running` that is exit 10 with how to retry; with it, core's
 * cancelWhenRunning polls until the crawl starts (within the duration) and cancels it then.
 */
export async function cancelCommand(
  ctx: CliContext,
  id: string | undefined,
  raw: RawCancelOptions,
): Promise<number> {
  const { cancelWhenRunning, parseDuration, validateExecutionId } = await import('@catalog-crawl/core');
  if (id === undefined) {
    // `cancel --when-running <id>`: commander took the id as the option's value.
    if (typeof raw.whenRunning !== 'string' || isDuration(raw.whenRunning, parseDuration)) {
      throw new UsageError(
        'missing the execution id: catalog-crawl cancel <execution-id> [--when-running[=10m]]',
      );
    }
    return cancelCommand(ctx, raw.whenRunning, { ...raw, whenRunning: true });
  }
  const executionId = validateExecutionId(id);
  let whenRunningMs: number | undefined;
  let intervals: { minIntervalMs: number; maxIntervalMs: number } | undefined;
  if (raw.whenRunning !== undefined && raw.whenRunning !== false) {
    const text = raw.whenRunning === true ? WHEN_RUNNING_DEFAULT : raw.whenRunning;
    try {
      whenRunningMs = parseDuration(text, '--when-running');
    } catch {
      throw new UsageError(
        `--when-running takes a duration with a unit (e.g. --when-running=15m), not ${JSON.stringify(safeText(text, 40))}; put the execution id before the option.`,
      );
    }
    if (whenRunningMs <= 0) throw new UsageError('--when-running must be more than 0 (e.g. 10m).');
    const minIntervalMs = parseDuration(raw.minInterval, '--min-interval');
    const maxIntervalMs = parseDuration(raw.maxInterval, '--max-interval');
    try {
      validateWaitOptions({ minIntervalMs, maxIntervalMs }, (field) => FLAGS[field] ?? field);
    } catch (error) {
      if (error instanceof InvalidInputError) throw new UsageError(`${error.message}.`);
      throw error;
    }
    intervals = { minIntervalMs, maxIntervalMs };
  }
  const client = await ctx.client();
  const c = ctx.out.colors;
  if (whenRunningMs === undefined || intervals === undefined) {
    const result = await client.cancelCrawl(executionId);
    const exitCode = result.outcome === 'not_running_yet' ? EXIT.NOT_RUNNING_YET : EXIT.OK;
    if (ctx.json) {
      ctx.out.json({ type: 'cancel', ...cancelJson(result), exitCode });
      return exitCode;
    }
    if (result.outcome === 'not_running_yet') {
      ctx.out.line(
        `Crawl ${executionId} is not running yet (pending): not cancelled. The API cancels only running crawls.`,
      );
      ctx.out.line(
        `Cancel it as soon as it starts: catalog-crawl cancel ${executionId} --when-running (waits up to ${WHEN_RUNNING_DEFAULT}; --when-running=30m for longer).`,
      );
    } else printCancelled(ctx, executionId, result.outcome, result.message);
    return exitCode;
  }
  const whenRunning = whenRunningMs;
  return withInterrupts(
    ctx,
    async (signal) => {
      // Printed once Ctrl-C is handled, so that a script watching for it can interrupt cleanly.
      if (!ctx.json) {
        ctx.out.errLine(
          c.dim(
            `Canceling ${executionId}; if it is still pending, waiting up to ${formatDuration(whenRunning)} for it to start (the API cancels only running crawls).`,
          ),
        );
      }
      const result = await cancelWhenRunning(client, executionId, {
        timeoutMs: whenRunning,
        signal,
        ...intervals,
      });
      const exitCode = result.outcome === 'still_pending' ? EXIT.NOT_RUNNING_YET : EXIT.OK;
      if (ctx.json) {
        ctx.out.json({
          type: 'cancel',
          ...cancelJson(result.cancel),
          outcome: result.cancel.outcome,
          waitedMs: result.elapsedMs,
          polls: result.polls,
          exitCode,
        });
        return exitCode;
      }
      if (result.outcome === 'still_pending') {
        ctx.out.line(
          `Crawl ${executionId} is still pending (tried for ${formatDuration(whenRunning)}): not cancelled. The API cancels only running crawls; it will run once it starts unless cancelled then.`,
        );
        ctx.out.line(`Keep trying for longer: catalog-crawl cancel ${executionId} --when-running=30m`);
      } else if (result.outcome === 'canceled' && result.polls > 0) {
        ctx.out.line(
          `Canceled crawl ${executionId} once it started (after ${formatDuration(result.elapsedMs)} pending).`,
        );
      } else printCancelled(ctx, executionId, result.outcome, result.cancel.message);
      return exitCode;
    },
    (how) =>
      `Stopped on ${how}: crawl ${executionId} was not cancelled. Retry: catalog-crawl cancel ${executionId} --when-running`,
  );
}

function isDuration(text: string, parse: (text: string, label: string) => number): boolean {
  try {
    parse(text, '--when-running');
    return true;
  } catch {
    return false;
  }
}

function printCancelled(
  ctx: CliContext,
  executionId: string,
  outcome: 'canceled' | 'already_finished',
  message: string | undefined,
): void {
  if (outcome === 'canceled') {
    ctx.out.line(`Canceled crawl ${executionId}.`);
    return;
  }
  ctx.out.line(
    `Crawl ${executionId} had already finished; nothing to cancel.${message ? ` (${safeText(message, 200)})` : ''}`,
  );
  ctx.out.line(ctx.out.colors.dim(`See how it ended: catalog-crawl status ${executionId}`));
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
