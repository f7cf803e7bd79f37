import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ToolContext } from '../context.js';
import * as cancelCrawl from './cancel-crawl.js';
import * as getCrawlStatus from './get-crawl-status.js';
import * as listCrawls from './list-crawls.js';
import * as startCrawl from './start-crawl.js';
import * as waitForCrawl from './wait-for-crawl.js';

/** Every tool, in the order tools/list shows them. */
export const tools = [startCrawl, getCrawlStatus, waitForCrawl, cancelCrawl, listCrawls] as const;

export function registerTools(server: McpServer, ctx: ToolContext): void {
  for (const tool of tools) tool.register(server, ctx);
}
