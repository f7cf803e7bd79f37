import { InvalidInputError, NotFoundError } from '@catalog-crawl/core';
import { type McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError, type ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import { redactDeep, type ToolContext } from '../context.js';
import { describeError } from '../errors.js';
import { LISTINGS_TEMPLATE, listingsPageUri, MAX_RESULTS_PAGE_SIZE, readResultsPage } from '../results.js';

export const name = 'vendor-listings-page';

function one(value: string | string[] | undefined): string {
  return (Array.isArray(value) ? value[0] : value) ?? '';
}

/**
 * `catalog-crawl://vendors/{vendor}/listings/{page}`: a page of a vendor's listings (50 per page, the default
 * fields of get_crawl_results) as JSON, for clients that browse resources rather than call tools.
 */
export function register(server: McpServer, ctx: ToolContext): void {
  server.registerResource(
    name,
    new ResourceTemplate(LISTINGS_TEMPLATE, { list: undefined }),
    {
      title: "A vendor's listings, one page",
      description: `A page of ${MAX_RESULTS_PAGE_SIZE} listings of a vendor (hostname) as JSON: the same answer as get_crawl_results with that vendor and page. next_page says whether there is more.`,
      mimeType: 'application/json',
    },
    async (uri, variables, extra): Promise<ReadResourceResult> => {
      let vendor: string;
      let page: number;
      try {
        vendor = decodeURIComponent(one(variables['vendor']));
        page = Number(one(variables['page']));
      } catch {
        throw new McpError(ErrorCode.InvalidParams, `Malformed listings resource URI: ${uri.href}`);
      }
      if (!Number.isSafeInteger(page) || page < 1) {
        throw new McpError(ErrorCode.InvalidParams, `The page in ${uri.href} must be a whole number >= 1.`);
      }
      try {
        const answer = await readResultsPage(
          ctx,
          { kind: 'listings', vendor, page, pageSize: MAX_RESULTS_PAGE_SIZE },
          extra.signal,
        );
        return {
          contents: [
            {
              uri: listingsPageUri(answer.vendor, page),
              mimeType: 'application/json',
              text: JSON.stringify(redactDeep(ctx, answer)),
            },
          ],
        };
      } catch (error) {
        const message = ctx.redact(describeError(error, { action: 'read the listings' }));
        if (error instanceof InvalidInputError) throw new McpError(ErrorCode.InvalidParams, message);
        if (error instanceof NotFoundError) throw new McpError(-32002, message);
        throw new McpError(ErrorCode.InternalError, message);
      }
    },
  );
}
