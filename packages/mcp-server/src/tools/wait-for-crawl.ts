import { crawlOutcome, validateExecutionId } from '@catalog-crawl/core';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { BoundReachedError } from '../bound.js';
import { type ToolContext, toolResult } from '../context.js';
import { errorResult } from '../errors.js';
import {
  ProgressCounter,
  progressMessage,
  progressValue,
  seconds,
  stalledNextStep,
  statusText,
} from '../format.js';
import {
  executionIdArg,
  type WaitForCrawlOutput,
  type WaitOutcomeValue,
  waitForCrawlOutputShape,
} from '../schemas.js';
import { isPermanent } from '../views.js';
import { statusOfSnapshot } from './get-crawl-status.js';

export const name = 'wait_for_crawl';

/** Hard upper bound of wait_seconds: below the ~60 s request timeout many MCP clients impose. */
export const MAX_WAIT_SECONDS = 45;
export const DEFAULT_WAIT_SECONDS = 40;

export const config = {
  title: 'Wait for a crawl',
  description:
    `Waits up to wait_seconds (default ${DEFAULT_WAIT_SECONDS}, at most ${MAX_WAIT_SECONDS}) for a crawl to finish and returns its status: ` +
    'finished (completed, failed or canceled), or still_running when the time ran out, which is not an error, or stalled when nothing has changed for a long time. ' +
    'It returns as soon as the crawl finishes, else at wait_seconds. Calls on the same crawl share one poll of the Catalog API (at most every 10 s), however many run. ' +
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

type Ending = 'finished' | 'deadline' | 'aborted' | 'shutdown' | 'error';

export function register(server: McpServer, ctx: ToolContext): void {
  server.registerTool(name, config, async ({ execution_id, wait_seconds }, extra) => {
    const waitSeconds = Math.min(wait_seconds ?? ctx.wait.defaultWaitSeconds, ctx.wait.maxWaitSeconds);
    const startedAt = Date.now();
    const deadline = startedAt + waitSeconds * 1000;
    const progressToken = extra._meta?.progressToken;
    const counter = new ProgressCounter();
    let sending: Promise<void> = Promise.resolve();
    let lastNoteAt = 0;

    try {
      const id = validateExecutionId(execution_id);
      const view = ctx.views.get(ctx.getClient(), id);

      const notify = (heartbeat: boolean): void => {
        const crawl = view.crawl;
        if (progressToken === undefined || !crawl || extra.signal.aborted) return;
        if (heartbeat && Date.now() - lastNoteAt < ctx.wait.heartbeatMs) return;
        lastNoteAt = Date.now();
        const { progress, total } = progressValue(crawl);
        const params = {
          progressToken,
          progress: counter.next(progress),
          total,
          message: ctx.redact(progressMessage(crawl)),
        };
        sending = sending
          .then(() => extra.sendNotification({ method: 'notifications/progress', params }))
          .catch((error: unknown) => ctx.log(`progress notification failed: ${String(error)}`));
      };

      const ending = await new Promise<Ending>((resolve) => {
        const timers: NodeJS.Timeout[] = [];
        let unwatch = () => {};
        const end = (how: Ending) => {
          for (const timer of timers) clearTimeout(timer);
          unwatch();
          extra.signal.removeEventListener('abort', onAbort);
          ctx.shutdown.removeEventListener('abort', onShutdown);
          resolve(how);
        };
        const onAbort = () => end('aborted');
        const onShutdown = () => end('shutdown');
        const check = (changed: boolean) => {
          if (view.finished) {
            notify(false);
            end('finished');
          } else if (
            view.error !== undefined &&
            view.snapshot().error !== undefined &&
            isPermanent(view.error)
          ) {
            end('error');
          } else if (changed) notify(false);
        };
        if (extra.signal.aborted) return end('aborted');
        if (ctx.shutdown.aborted) return end('shutdown');
        extra.signal.addEventListener('abort', onAbort, { once: true });
        ctx.shutdown.addEventListener('abort', onShutdown, { once: true });
        // Return AT wait_seconds: the view polls just before it when the 10 s interval allows.
        timers.push(setTimeout(() => end('deadline'), deadline - Date.now()));
        const beat = setInterval(() => notify(true), Math.max(1_000, ctx.wait.heartbeatMs));
        timers.push(beat as unknown as NodeJS.Timeout);
        unwatch = view.watch({ deadline, update: check });
        // Answer at once from the view when it already knows the crawl ended; otherwise tell where it stands.
        if (view.crawl) notify(false);
        check(false);
      });
      await sending;

      const snapshot = view.snapshot();
      if (ending === 'aborted') {
        // The client cancelled this request: the SDK drops the response; the crawl keeps running.
        ctx.log(`wait ${id}: cancelled by the client; the crawl was not touched`);
      }
      const status = statusOfSnapshot(view, snapshot, 'read the crawl status');
      if (!status) {
        // Never read: report why (the API's error, or nothing back before the bound).
        if (snapshot.error !== undefined && isPermanent(snapshot.error)) throw snapshot.error;
        throw new BoundReachedError(Date.now() - startedAt, snapshot.error);
      }
      if (ending === 'error' && snapshot.error !== undefined) throw snapshot.error;
      const crawl = snapshot.crawl!;
      const outcome: WaitOutcomeValue =
        crawlOutcome(crawl) ?? (snapshot.stalled ? 'stalled' : 'still_running');
      const out: WaitForCrawlOutput = {
        ...status,
        wait_outcome: outcome,
        waited_seconds: seconds(Date.now() - startedAt),
      };
      if (outcome === 'still_running') {
        out.next_step =
          ending === 'shutdown'
            ? 'The MCP server is shutting down: call wait_for_crawl again with the same execution_id once it is back (the crawl keeps running).'
            : `Call wait_for_crawl again with the same execution_id to keep waiting, or get_crawl_status in about ${status.suggested_poll_interval_seconds} s.`;
      } else if (outcome === 'stalled') {
        out.next_step = stalledNextStep(status.unchanged_for_seconds ?? 0);
      }
      const lead =
        outcome === 'still_running' || outcome === 'stalled'
          ? `Crawl ${out.execution_id} is still going after ${Math.round(out.waited_seconds)} s`
          : `Crawl ${out.execution_id}`;
      return toolResult(ctx, out, statusText(out, lead));
    } catch (error) {
      await sending;
      return errorResult(ctx, error, { action: 'wait for the crawl', executionId: execution_id });
    }
  });
}
