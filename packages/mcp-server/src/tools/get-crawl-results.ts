import { InvalidInputError } from '@catalog-crawl/core';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { type ToolContext, toolResult } from '../context.js';
import { errorResult } from '../errors.js';
import {
  DEFAULT_RESULTS_PAGE_SIZE,
  MAX_RESULT_BYTES,
  MAX_RESULTS_PAGE_SIZE,
  RESULT_FIELDS,
  RESULT_KINDS,
  readResultsPage,
  resultsText,
} from '../results.js';
import { executionIdArg, getCrawlResultsOutputShape } from '../schemas.js';

export const name = 'get_crawl_results';

export const config = {
  title: 'Get crawl results',
  description:
    'Reads what a crawl found, one page at a time: the listings (products) or collections of a completed crawl (execution_id) or of a vendor hostname (vendor). ' +
    `Pass exactly one of execution_id or vendor. Pages hold at most ${MAX_RESULTS_PAGE_SIZE} items (default ${DEFAULT_RESULTS_PAGE_SIZE}) with a chosen set of flat fields, so an answer stays under ${MAX_RESULT_BYTES / 1024} KB; ` +
    "the answer gives next_page when there is more. Results are the vendor's index in the Catalog API, read after the crawl completed.",
  inputSchema: {
    execution_id: executionIdArg.optional().describe("A completed crawl: its vendor's results are read."),
    vendor: z
      .string()
      .min(1)
      .max(253)
      .optional()
      .describe('A vendor hostname such as "skims.com", instead of execution_id.'),
    kind: z.enum(RESULT_KINDS).optional().describe('listings (default) or collections.'),
    page: z.number().int().min(1).max(100_000).optional().describe('1-based page number. Default 1.'),
    page_size: z
      .number()
      .int()
      .min(1)
      .max(MAX_RESULTS_PAGE_SIZE)
      .optional()
      .describe(`Items per page, at most ${MAX_RESULTS_PAGE_SIZE}. Default ${DEFAULT_RESULTS_PAGE_SIZE}.`),
    fields: z
      .array(z.enum(RESULT_FIELDS))
      .min(1)
      .max(RESULT_FIELDS.length)
      .optional()
      .describe(
        'Fields per item. Listings: id, name, url, price, currency, compare_at_price, image_url, image_count, vendor, first_seen_by_catalog, last_updated_by_catalog (default id, name, url, price, currency, image_url). Collections: id, url, products_total, last_updated_by_catalog (default all).',
      ),
  },
  outputSchema: getCrawlResultsOutputShape,
  annotations: {
    title: 'Get crawl results',
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: true,
  },
};

export function register(server: McpServer, ctx: ToolContext): void {
  server.registerTool(name, config, async (args, extra) => {
    const { execution_id, vendor, kind, page, page_size, fields } = args;
    try {
      if ((execution_id === undefined) === (vendor === undefined)) {
        throw new InvalidInputError(
          'target',
          'pass exactly one of execution_id (a completed crawl) or vendor (a hostname such as "skims.com")',
        );
      }
      const answer = await readResultsPage(
        ctx,
        {
          kind: kind ?? 'listings',
          ...(vendor !== undefined ? { vendor } : {}),
          ...(execution_id !== undefined ? { executionId: execution_id } : {}),
          page: page ?? 1,
          pageSize: page_size ?? DEFAULT_RESULTS_PAGE_SIZE,
          ...(fields ? { fields } : {}),
        },
        extra.signal,
      );
      return toolResult(ctx, { ...answer }, resultsText(answer));
    } catch (error) {
      return errorResult(ctx, error, {
        action: 'read the crawl results',
        ...(execution_id !== undefined ? { executionId: execution_id } : {}),
      });
    }
  });
}
