import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { type ToolContext, toolResult } from '../context.js';
import { errorResult } from '../errors.js';
import { crawlStatus, statusText } from '../format.js';
import { crawlStatusShape, executionIdArg } from '../schemas.js';

export const name = 'get_crawl_status';

export const config = {
  title: 'Get crawl status',
  description:
    "Reads a crawl's current status once: status, current step, counts found so far, elapsed time and a suggested poll interval. " +
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

export function register(server: McpServer, ctx: ToolContext): void {
  server.registerTool(name, config, async ({ execution_id }, extra) => {
    try {
      const crawl = await ctx.getClient().getCrawl(execution_id, { signal: extra.signal });
      const out = crawlStatus(crawl);
      return toolResult(ctx, out, statusText(out));
    } catch (error) {
      return errorResult(ctx, error, { action: 'read the crawl status', executionId: execution_id });
    }
  });
}
