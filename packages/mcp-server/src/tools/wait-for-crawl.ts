import { AbortedError, type Crawl, type WaitEvent, type WaitResult, waitForCrawl } from '@catalog-crawl/core';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { type ToolContext, toolResult } from '../context.js';
import { errorResult } from '../errors.js';
import {
  crawlStatus,
  ProgressCounter,
  progressMessage,
  progressValue,
  seconds,
  statusText,
} from '../format.js';
import {
  executionIdArg,
  type WaitForCrawlOutput,
  type WaitOutcomeValue,
  waitForCrawlOutputShape,
} from '../schemas.js';

export const name = 'wait_for_crawl';

/** Hard upper bound of wait_seconds: below the ~60 s request timeout many MCP clients impose. */
export const MAX_WAIT_SECONDS = 45;
export const DEFAULT_WAIT_SECONDS = 40;

export const config = {
  title: 'Wait for a crawl',
  description:
    `Waits up to wait_seconds (default ${DEFAULT_WAIT_SECONDS}, at most ${MAX_WAIT_SECONDS}) for a crawl to finish, polling the Catalog API, ` +
    'and returns its status: finished (completed, failed or canceled) or still_running when the time ran out, which is not an error. ' +
    'Sends progress notifications when the request carries a progress token. ' +
    'Call it again while wait_outcome is still_running. Cancelling this call stops the wait, not the crawl.',
  inputSchema: {
    execution_id: executionIdArg,
    wait_seconds: z
      .number()
      .min(1)
      .max(MAX_WAIT_SECONDS)
      .optional()
      .describe(
        `How long to wait at most, in seconds. Default ${DEFAULT_WAIT_SECONDS}, at most ${MAX_WAIT_SECONDS}.`,
      ),
  },
  outputSchema: waitForCrawlOutputShape,
  annotations: {
    title: 'Wait for a crawl',
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: true,
  },
};

function waitOutcome(result: WaitResult): WaitOutcomeValue {
  return result.outcome === 'timed_out' ? 'still_running' : result.outcome;
}

export function register(server: McpServer, ctx: ToolContext): void {
  server.registerTool(name, config, async ({ execution_id, wait_seconds }, extra) => {
    const waitSeconds = Math.min(wait_seconds ?? ctx.wait.defaultWaitSeconds, ctx.wait.maxWaitSeconds);
    const progressToken = extra._meta?.progressToken;
    const counter = new ProgressCounter();
    let lastNotified: Crawl | undefined;
    let sending: Promise<void> = Promise.resolve();

    const notify = (event: WaitEvent): void => {
      if (progressToken === undefined || !event.crawl || extra.signal.aborted) return;
      // Several events come from one poll: one notification per snapshot, plus heartbeats.
      if (event.crawl === lastNotified && event.type !== 'heartbeat') return;
      lastNotified = event.crawl;
      const { progress, total } = progressValue(event.crawl);
      const params = {
        progressToken,
        progress: counter.next(progress),
        total,
        message: ctx.redact(progressMessage(event.crawl)),
      };
      sending = sending
        .then(() => extra.sendNotification({ method: 'notifications/progress', params }))
        .catch((error: unknown) => ctx.log(`progress notification failed: ${String(error)}`));
    };

    try {
      const client = ctx.getClient();
      const timeoutMs = waitSeconds * 1000;
      const result = await waitForCrawl(client, execution_id, {
        signal: extra.signal,
        timeoutMs,
        minIntervalMs: ctx.wait.minIntervalMs,
        maxIntervalMs: Math.max(ctx.wait.minIntervalMs, ctx.wait.maxIntervalMs),
        heartbeatMs: ctx.wait.heartbeatMs,
        onEvent: (event) => {
          if (event.type === 'warning') ctx.log(`wait ${execution_id}: ${ctx.redact(event.message)}`);
          else notify(event);
        },
      });
      await sending;
      const outcome = waitOutcome(result);
      // The waiter throws LostContactError when no poll succeeded, so a result always has a snapshot.
      const status = crawlStatus(result.crawl!);
      const out: WaitForCrawlOutput = {
        ...status,
        wait_outcome: outcome,
        waited_seconds: seconds(result.elapsedMs),
      };
      if (outcome === 'still_running' || outcome === 'stalled') {
        out.next_step = `Call wait_for_crawl again with the same execution_id to keep waiting, or get_crawl_status in about ${status.suggested_poll_interval_seconds} s.`;
      }
      const lead =
        outcome === 'still_running'
          ? `Crawl ${out.execution_id} is still going after ${Math.round(out.waited_seconds)} s`
          : `Crawl ${out.execution_id}`;
      return toolResult(ctx, out, statusText(out, lead));
    } catch (error) {
      await sending;
      if (error instanceof AbortedError || extra.signal.aborted) {
        // The client cancelled this request: the SDK drops the response; the crawl keeps running.
        ctx.log(`wait ${execution_id}: cancelled by the client; the crawl was not touched`);
      }
      return errorResult(ctx, error, { action: 'wait for the crawl', executionId: execution_id });
    }
  });
}
