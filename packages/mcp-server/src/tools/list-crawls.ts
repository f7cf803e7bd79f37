import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { withinBound } from '../bound.js';
import { type ToolContext, toolResult } from '../context.js';
import { errorResult } from '../errors.js';
import { type ListCrawlsOutput, listCrawlsOutputShape, listStatusValues } from '../schemas.js';

export const name = 'list_crawls';

/** Upper bound of page_size: keeps results small. */
export const MAX_PAGE_SIZE = 50;
export const DEFAULT_PAGE_SIZE = 20;

export const config = {
  title: 'List crawls',
  description:
    "Lists this account's crawls, newest first, one page at a time (execution id, status, creation time). " +
    'Use it to find an execution_id you no longer have, or to see what is running; filter with status.',
  inputSchema: {
    status: z
      .enum(listStatusValues)
      .optional()
      .describe('Only crawls in this state: processing (pending or running), completed or failed.'),
    page: z.number().int().min(1).max(10_000).optional().describe('1-based page number. Default 1.'),
    page_size: z
      .number()
      .int()
      .min(1)
      .max(MAX_PAGE_SIZE)
      .optional()
      .describe(`Crawls per page, at most ${MAX_PAGE_SIZE}. Default ${DEFAULT_PAGE_SIZE}.`),
  },
  outputSchema: listCrawlsOutputShape,
  annotations: {
    title: 'List crawls',
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: true,
  },
};

export function register(server: McpServer, ctx: ToolContext): void {
  server.registerTool(name, config, async ({ status, page, page_size }, extra) => {
    try {
      const client = ctx.getClient();
      const list = await withinBound(ctx, extra.signal, (budget) =>
        client.listCrawls(
          { status, page: page ?? 1, pageSize: Math.min(page_size ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE) },
          budget,
        ),
      );
      const p = list.pagination;
      const out: ListCrawlsOutput = {
        crawls: list.items.slice(0, MAX_PAGE_SIZE).map((item) => {
          const row: ListCrawlsOutput['crawls'][number] = {
            execution_id: item.executionId,
            status: item.status,
          };
          if (item.createdAt) row.created_at = item.createdAt;
          return row;
        }),
        pagination: {
          page: p.page,
          page_size: p.pageSize,
          total_items: p.totalItems,
          total_pages: p.totalPages,
          has_next: p.hasNext,
          has_prev: p.hasPrev,
        },
        next_step: p.hasNext
          ? `Call list_crawls with page ${p.page + 1} for more, or get_crawl_status / wait_for_crawl with an execution_id.`
          : 'Call get_crawl_status or wait_for_crawl with an execution_id from this list.',
      };
      if (status) out.status_filter = status;
      const lines = [
        `${p.totalItems} crawl${p.totalItems === 1 ? '' : 's'}${status ? ` (${status})` : ''}; page ${p.page} of ${Math.max(p.totalPages, 1)}:`,
        ...out.crawls.map(
          (c) => `- ${c.execution_id}: ${c.status}${c.created_at ? ` (created ${c.created_at})` : ''}`,
        ),
        `Next: ${out.next_step}`,
      ];
      return toolResult(ctx, out, lines.join('\n'));
    } catch (error) {
      return errorResult(ctx, error, { action: 'list the crawls' });
    }
  });
}
