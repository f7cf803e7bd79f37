import {
  ApiError,
  AuthError,
  type CatalogClient,
  isTerminalStatus,
  NotFoundError,
  RateLimitError,
  validateExecutionId,
} from '@catalog-crawl/core';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { type Budget, withinBound } from '../bound.js';
import { type ToolContext, toolResult } from '../context.js';
import { errorResult } from '../errors.js';
import { isCancelledCrawl, resourceUri } from '../format.js';
import { type CancelCrawlOutput, cancelCrawlOutputShape, executionIdArg } from '../schemas.js';
import type { CrawlView } from '../views.js';

export const name = 'cancel_crawl';

/** Time kept back from the tool's bound for the DELETE itself when waiting for a pending crawl to start. */
const DELETE_RESERVE_MS = 5_000;
/** When a pending crawl is reported, call again in about this long (the API starts pending crawls within a minute or so). */
const PENDING_RETRY_SECONDS = 30;

export const config = {
  title: 'Cancel a crawl',
  description:
    'Stops a running crawl; what it found so far is not kept as a completed result. ' +
    'The Catalog API cancels only running crawls: a crawl that is still pending answers not_running_yet (a normal result, not an error) and will start and run unless cancelled once it runs; ' +
    'pass when_running: true to wait for it to start (within this call, about 30 s at most) and cancel it then. ' +
    'Safe to repeat: cancelling a crawl that has already completed, failed or been cancelled changes nothing and says so. ' +
    'Use it only when the user wants the crawl stopped.',
  inputSchema: {
    execution_id: executionIdArg,
    when_running: z
      .boolean()
      .optional()
      .describe(
        'If the crawl is still pending, wait (within this call) for it to start, then cancel it. Default false: report not_running_yet at once.',
      ),
  },
  outputSchema: cancelCrawlOutputShape,
  annotations: {
    title: 'Cancel a crawl',
    readOnlyHint: false,
    destructiveHint: true,
    idempotentHint: true,
    openWorldHint: true,
  },
};

type Outcome = CancelCrawlOutput['outcome'];

interface Decided {
  outcome: Outcome;
  executionId: string;
  stopDate?: string | null;
  status?: string;
}

/**
 * One DELETE, read the documented way: a refusal (any 4xx but 401, 403, 404, 429) is never read from its
 * wording; the crawl is read again and its status decides: pending -> not running yet, finished -> already
 * finished, running -> the refusal was a real error. The read goes through the shared view (expired first: the
 * state may just have changed).
 */
async function cancelOnce(
  client: CatalogClient,
  view: CrawlView,
  id: string,
  budget: Budget,
): Promise<Decided> {
  let refusal: unknown;
  try {
    const result = await client.cancelCrawl(id, budget);
    // The client reads some refusals as "already finished": check that against the crawl itself.
    if (result.outcome === 'canceled') {
      return { outcome: 'canceled', executionId: result.executionId, stopDate: result.stopDate };
    }
    refusal = result;
  } catch (error) {
    const refused =
      error instanceof ApiError &&
      !(error instanceof AuthError || error instanceof NotFoundError || error instanceof RateLimitError) &&
      error.status !== undefined &&
      error.status >= 400 &&
      error.status < 500;
    if (!refused) throw error;
    refusal = error;
  }
  view.expire();
  const snapshot = await view.refresh();
  const crawl = snapshot.crawl;
  if (!crawl) throw snapshot.error ?? refusal;
  if (crawl.status === 'pending')
    return { outcome: 'not_running_yet', executionId: id, status: crawl.status };
  if (isTerminalStatus(crawl.status)) {
    return {
      outcome: 'already_finished',
      executionId: id,
      status: crawl.status,
      stopDate: crawl.stopDate ?? null,
    };
  }
  // Running (or unknown) and still refused: a real error, with its request id.
  if (refusal instanceof Error) throw refusal;
  throw new ApiError(
    `the API refused to cancel crawl ${id} although it is ${crawl.status}`,
    'CANCEL_REFUSED',
    {
      status: 409,
    },
  );
}

/** Waits (through the shared view, at its cadence) until a pending crawl starts, or the deadline. */
async function untilStarted(
  ctx: ToolContext,
  view: CrawlView,
  deadline: number,
  signal: AbortSignal,
): Promise<void> {
  if (view.crawl?.status !== 'pending') return;
  await new Promise<void>((resolve) => {
    let unwatch = () => {};
    const done = () => {
      clearTimeout(timer);
      unwatch();
      signal.removeEventListener('abort', done);
      ctx.shutdown.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, deadline - Date.now()));
    signal.addEventListener('abort', done, { once: true });
    ctx.shutdown.addEventListener('abort', done, { once: true });
    unwatch = view.watch({
      deadline,
      update() {
        if (view.crawl && view.crawl.status !== 'pending') done();
      },
    });
  });
}

export function register(server: McpServer, ctx: ToolContext): void {
  server.registerTool(name, config, async ({ execution_id, when_running }, extra) => {
    try {
      const id = validateExecutionId(execution_id);
      const client = ctx.getClient();
      const view = ctx.views.get(client, id);
      const decided = await withinBound(ctx, extra.signal, async (budget) => {
        const first = await cancelOnce(client, view, id, budget);
        if (first.outcome !== 'not_running_yet' || !when_running) return first;
        // Wait for the start within the bound, keeping time for the DELETE; the view polls at its cadence.
        await untilStarted(ctx, view, budget.deadline - DELETE_RESERVE_MS, budget.signal);
        if (view.crawl?.status === 'pending') return first;
        return cancelOnce(client, view, id, budget);
      });
      if (decided.outcome === 'canceled') view.expire();
      const out: CancelCrawlOutput = {
        execution_id: decided.executionId,
        outcome: decided.outcome,
        resource_uri: resourceUri(decided.executionId),
        next_step: '',
      };
      if (decided.stopDate) out.stopped_at = decided.stopDate;
      if (decided.status) out.status = decided.status;
      let text: string;
      if (decided.outcome === 'canceled') {
        out.next_step =
          'The crawl is stopping; get_crawl_status will read it as cancelled. Call start_crawl to crawl the site again.';
        text = `Cancelled crawl ${decided.executionId}.`;
      } else if (decided.outcome === 'not_running_yet') {
        out.call_again_in_seconds = PENDING_RETRY_SECONDS;
        out.next_step = when_running
          ? `Still pending after waiting: it will start and run unless cancelled once it runs. Call cancel_crawl again with when_running: true in about ${PENDING_RETRY_SECONDS} s.`
          : `The API cancels only running crawls, and this one has not started: it will start and run unless cancelled then. Call cancel_crawl again with when_running: true (it waits for the start), or call it again in about ${PENDING_RETRY_SECONDS} s.`;
        text = `Crawl ${decided.executionId} is not running yet (pending): nothing was cancelled.`;
      } else {
        const cancelled = view.crawl ? isCancelledCrawl(view.crawl) : false;
        out.next_step = 'Nothing was changed. Call get_crawl_status to see how the crawl ended.';
        const reads = decided.status ? ` It reads ${decided.status}${cancelled ? ' (cancelled)' : ''}.` : '';
        text = `Crawl ${decided.executionId} had already finished; nothing to cancel.${reads}`;
      }
      return toolResult(ctx, out, `${text}\nNext: ${out.next_step}`);
    } catch (error) {
      return errorResult(ctx, error, { action: 'cancel the crawl', executionId: execution_id });
    }
  });
}
