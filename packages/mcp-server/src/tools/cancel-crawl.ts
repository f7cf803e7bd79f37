import { cancelWhenRunning, validateExecutionId } from '@catalog-crawl/core';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { withinBound } from '../bound.js';
import { type ToolContext, toolResult } from '../context.js';
import { errorResult } from '../errors.js';
import { resourceUri } from '../format.js';
import { type CancelCrawlOutput, cancelCrawlOutputShape, executionIdArg } from '../schemas.js';

export const name = 'cancel_crawl';

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

export function register(server: McpServer, ctx: ToolContext): void {
  server.registerTool(name, config, async ({ execution_id, when_running }, extra) => {
    try {
      const id = validateExecutionId(execution_id);
      const client = ctx.getClient();
      const view = ctx.views.get(client, id);
      // Core reads a refused cancel from the crawl, never its wording: pending -> not_running_yet.
      const decided = await withinBound(ctx, extra.signal, async (budget) => {
        if (!when_running) return client.cancelCrawl(id, budget);
        // Wait for the start within the bound, at the shared view's cadence, then cancel.
        const result = await cancelWhenRunning(client, id, {
          signal: budget.signal,
          timeoutMs: Math.max(1_000, budget.deadline - Date.now()),
          minIntervalMs: ctx.views.settings.minIntervalMs,
          maxIntervalMs: ctx.views.settings.maxIntervalMs,
        });
        return result.cancel;
      });
      // The crawl's status has (or may have) just changed: the next read may go to the API at once.
      view.expire();
      const out: CancelCrawlOutput = {
        execution_id: decided.executionId,
        outcome: decided.outcome,
        resource_uri: resourceUri(decided.executionId),
        next_step: '',
      };
      if (decided.stopDate) out.stopped_at = decided.stopDate;
      if (decided.status !== undefined) out.status = decided.status;
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
        out.next_step = 'Nothing was changed. Call get_crawl_status to see how the crawl ended.';
        const reads = decided.status ? ` It reads ${decided.status}.` : '';
        text = `Crawl ${decided.executionId} had already finished; nothing to cancel.${reads}`;
      }
      return toolResult(ctx, out, `${text}\nNext: ${out.next_step}`);
    } catch (error) {
      return errorResult(ctx, error, { action: 'cancel the crawl', executionId: execution_id });
    }
  });
}
