import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ListToolsRequestSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { ToolContext } from '../context.js';
import * as cancelCrawl from './cancel-crawl.js';
import * as getCrawlResults from './get-crawl-results.js';
import * as getCrawlStatus from './get-crawl-status.js';
import * as listCrawls from './list-crawls.js';
import * as startCrawl from './start-crawl.js';
import * as waitForCrawl from './wait-for-crawl.js';

/** Every tool, in the order tools/list shows them. */
export const tools = [
  startCrawl,
  getCrawlStatus,
  waitForCrawl,
  cancelCrawl,
  listCrawls,
  getCrawlResults,
] as const;

/**
 * A tool's JSON Schema in the MCP default dialect, 2020-12, without a `$schema` keyword: SDK 1.x emits
 * draft-07, which strict 2020-12 clients reject, and naming 2020-12 would break draft-07 validators (SDK 1.x
 * clients). The keywords used are read the same way by both.
 */
export function jsonSchemaOf(shape: z.ZodRawShape, io: 'input' | 'output'): Tool['inputSchema'] {
  const schema = z.toJSONSchema(z.object(shape), { target: 'draft-2020-12', io }) as Record<string, unknown>;
  delete schema['$schema'];
  return schema as Tool['inputSchema'];
}

/** The tools/list answer: what McpServer lists, with schemas in the 2020-12 dialect. */
export function listedTools(): Tool[] {
  return tools.map((tool) => ({
    name: tool.name,
    title: tool.config.title,
    description: tool.config.description,
    inputSchema: jsonSchemaOf(tool.config.inputSchema, 'input'),
    outputSchema: jsonSchemaOf(tool.config.outputSchema, 'output'),
    annotations: tool.config.annotations,
  }));
}

export function registerTools(server: McpServer, ctx: ToolContext): void {
  for (const tool of tools) tool.register(server, ctx);
  // Replaces McpServer's tools/list handler (registered above) to change only the schema dialect.
  const listed = listedTools();
  server.server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: listed }));
}
