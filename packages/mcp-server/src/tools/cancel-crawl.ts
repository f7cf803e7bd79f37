import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { type ToolContext, toolResult } from '../context.js';
import { errorResult } from '../errors.js';
import { resourceUri, truncate } from '../format.js';
import { type CancelCrawlOutput, cancelCrawlOutputShape, executionIdArg } from '../schemas.js';

export const name = 'cancel_crawl';

export const config = {
  title: 'Cancel a crawl',
  description:
    'Stops a running crawl; what it found so far is not kept as a completed result. ' +
    'Safe to repeat: cancelling a crawl that has already completed, failed or been cancelled changes nothing and says so. ' +
    'Use it only when the user wants the crawl stopped.',
  inputSchema: { execution_id: executionIdArg },
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
  server.registerTool(name, config, async ({ execution_id }, extra) => {
    try {
      const result = await ctx.getClient().cancelCrawl(execution_id, { signal: extra.signal });
      if (result.outcome === 'not_running_yet') {
        // Until cancel_crawl's schema carries this outcome: say it plainly, as a result the agent acts on.
        const text = `Crawl ${result.executionId} has not started yet (pending), and the Catalog API cancels only running crawls: nothing was cancelled. Call cancel_crawl again once get_crawl_status reads running.`;
        return { content: [{ type: 'text', text: ctx.redact(text) }], isError: true };
      }
      const canceled = result.outcome === 'canceled';
      const out: CancelCrawlOutput = {
        execution_id: result.executionId,
        outcome: result.outcome,
        resource_uri: resourceUri(result.executionId),
        next_step: canceled
          ? 'The crawl is stopping; get_crawl_status will read failed with a cancellation error. Call start_crawl to crawl the site again.'
          : 'Nothing was changed. Call get_crawl_status to see how the crawl ended.',
      };
      if (result.stopDate) out.stopped_at = result.stopDate;
      if (result.message) out.message = truncate(result.message, 300);
      const text = canceled
        ? `Cancelled crawl ${result.executionId}.`
        : `Crawl ${result.executionId} had already finished; nothing to cancel.`;
      return toolResult(ctx, out, `${text}\nNext: ${out.next_step}`);
    } catch (error) {
      return errorResult(ctx, error, { action: 'cancel the crawl', executionId: execution_id });
    }
  });
}
