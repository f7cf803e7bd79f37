import { RateLimitError, validateExecutionId } from '@catalog-crawl/core';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { BoundReachedError, withinBound } from '../bound.js';
import { type ToolContext, toolResult } from '../context.js';
import { describeError, errorResult } from '../errors.js';
import { crawlStatus, statusText } from '../format.js';
import { type CrawlStatusOutput, crawlStatusShape, executionIdArg } from '../schemas.js';
import type { CrawlView, Snapshot } from '../views.js';

export const name = 'get_crawl_status';

export const config = {
  title: 'Get crawl status',
  description:
    "Reads a crawl's current status once: status, current step, counts found so far, elapsed time and a suggested poll interval. " +
    'The server reads each crawl at most every 10 s whoever asks; inside that interval it answers from its shared view and says how old it is. ' +
    'Use it to check on a crawl without waiting; to wait for a running crawl to finish, use wait_for_crawl instead.',
  inputSchema: { execution_id: executionIdArg },
  outputSchema: crawlStatusShape,
  annotations: {
    title: 'Get crawl status',
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: true,
  },
};

/** The status block for a view's snapshot, or undefined when the crawl has never been read. */
export function statusOfSnapshot(
  view: CrawlView,
  snapshot: Snapshot,
  action = 'refresh the crawl status',
): CrawlStatusOutput | undefined {
  if (!snapshot.crawl) return undefined;
  const warning =
    snapshot.error === undefined
      ? undefined
      : `${describeError(snapshot.error, { action, executionId: view.executionId })} The status shown is the last one read.`;
  return crawlStatus(snapshot.crawl, {
    ...(snapshot.observedAt !== undefined ? { observedAt: snapshot.observedAt } : {}),
    ...(snapshot.unchangedSince !== undefined ? { unchangedSince: snapshot.unchangedSince } : {}),
    stalled: snapshot.stalled,
    ...(warning ? { warning } : {}),
  });
}

/** Reads a crawl through the shared view, within the tool bound. Throws what prevents any answer. */
export async function readStatus(
  ctx: ToolContext,
  executionId: string,
  signal: AbortSignal,
): Promise<{ view: CrawlView; out: CrawlStatusOutput }> {
  const id = validateExecutionId(executionId);
  const view = ctx.views.get(ctx.getClient(), id);
  let snapshot: Snapshot;
  try {
    snapshot = await withinBound(ctx, signal, () => view.refresh());
  } catch (error) {
    // The poll goes on for others; this caller gets what the view has, if anything.
    if (!(error instanceof BoundReachedError)) throw error;
    snapshot = view.snapshot();
    if (!snapshot.crawl) throw error;
  }
  const out = statusOfSnapshot(view, snapshot);
  if (!out) {
    const error = snapshot.error;
    if (error instanceof RateLimitError) {
      // Answered from the view: say how long is really left before the API may be asked again.
      const left = Math.max(1_000, snapshot.nextPollAt - Date.now());
      const details = {
        status: 429,
        retryAfterMs: left,
        ...(error.requestId ? { requestId: error.requestId } : {}),
      };
      throw new RateLimitError(error.message, details);
    }
    throw error ?? new BoundReachedError(ctx.toolTimeoutMs);
  }
  return { view, out };
}

export function register(server: McpServer, ctx: ToolContext): void {
  server.registerTool(name, config, async ({ execution_id }, extra) => {
    try {
      const { out } = await readStatus(ctx, execution_id, extra.signal);
      return toolResult(ctx, out, statusText(out));
    } catch (error) {
      return errorResult(ctx, error, { action: 'read the crawl status', executionId: execution_id });
    }
  });
}
