import { suggestPollIntervalMs } from '@catalog-crawl/core';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { withinBound } from '../bound.js';
import { type ToolContext, toolResult } from '../context.js';
import { errorResult } from '../errors.js';
import { resourceUri } from '../format.js';
import { type StartCrawlOutput, startCrawlOutputShape } from '../schemas.js';

export const name = 'start_crawl';

export const config = {
  title: 'Start a crawl',
  description:
    'Starts crawling a vendor website with the Catalog API and returns at once with the execution id. ' +
    'A crawl takes minutes to hours; use wait_for_crawl or get_crawl_status with the returned execution_id to follow it. ' +
    'Starting the same host again while a crawl of it is running returns the running crawl instead of a new one.',
  inputSchema: {
    url: z
      .string()
      .min(1)
      .max(2048)
      .describe('The vendor website to crawl: a URL ("https://skims.com") or a bare domain ("skims.com").'),
  },
  outputSchema: startCrawlOutputShape,
  annotations: {
    title: 'Start a crawl',
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: false,
    openWorldHint: true,
  },
};

export function register(server: McpServer, ctx: ToolContext): void {
  server.registerTool(name, config, async ({ url }, extra) => {
    try {
      const client = ctx.getClient();
      const started = await withinBound(ctx, extra.signal, (budget) => client.startCrawl({ url }, budget));
      const pollSeconds = Math.round(suggestPollIntervalMs(undefined) / 1000);
      const out: StartCrawlOutput = {
        execution_id: started.executionId,
        status: started.status,
        url,
        suggested_poll_interval_seconds: pollSeconds,
        resource_uri: resourceUri(started.executionId),
        next_step: `Call wait_for_crawl with execution_id "${started.executionId}" to follow it (it waits up to ${ctx.wait.defaultWaitSeconds} s per call), or get_crawl_status in about ${pollSeconds} s.`,
      };
      if (started.creditsUsed !== undefined) out.credits_used = started.creditsUsed;
      return toolResult(
        ctx,
        out,
        `Started crawl ${started.executionId} of ${url} (status ${started.status}).\nNext: ${out.next_step}`,
      );
    } catch (error) {
      return errorResult(ctx, error, { action: 'start the crawl' });
    }
  });
}
