import { InvalidInputError, NotFoundError, validateExecutionId } from '@catalog-crawl/core';
import { type McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  ErrorCode,
  McpError,
  type ReadResourceResult,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { redactDeep, type ToolContext } from '../context.js';
import { describeError } from '../errors.js';
import { RESOURCE_TEMPLATE, resourceUri } from '../format.js';
import { readStatus } from '../tools/get-crawl-status.js';
import { type CrawlView, isPermanent } from '../views.js';

export const name = 'crawl-status';

/** JSON-RPC code for an unknown resource (MCP spec). */
const RESOURCE_NOT_FOUND = -32002;

const PREFIX = 'catalog-crawl://crawls/';

/** The execution id in a `catalog-crawl://crawls/{execution_id}` URI, or an McpError. */
export function executionIdFromUri(uri: string): string {
  if (!uri.startsWith(PREFIX)) {
    throw new McpError(ErrorCode.InvalidParams, `Not a crawl resource: ${uri}. Use ${RESOURCE_TEMPLATE}.`);
  }
  let id: string;
  try {
    id = decodeURIComponent(uri.slice(PREFIX.length));
  } catch {
    throw new McpError(ErrorCode.InvalidParams, `Malformed crawl resource URI: ${uri}`);
  }
  try {
    return validateExecutionId(id);
  } catch (error) {
    throw new McpError(ErrorCode.InvalidParams, error instanceof Error ? error.message : String(error));
  }
}

function toMcpError(ctx: ToolContext, error: unknown, executionId: string): McpError {
  if (error instanceof McpError) return error;
  const message = ctx.redact(describeError(error, { action: 'read the crawl status', executionId }));
  if (error instanceof NotFoundError) return new McpError(RESOURCE_NOT_FOUND, message);
  if (error instanceof InvalidInputError) return new McpError(ErrorCode.InvalidParams, message);
  return new McpError(ErrorCode.InternalError, message);
}

export interface ResourceHandle {
  /** Active subscriptions (URIs). */
  readonly subscriptions: ReadonlySet<string>;
  /** Stops every watcher (called when the connection closes). */
  close(): void;
}

/**
 * Registers the `catalog-crawl://crawls/{execution_id}` template and the resources/subscribe handlers. Each
 * subscription runs one core watcher that sends notifications/resources/updated on every change until the
 * crawl ends, the client unsubscribes or the connection closes.
 */
export function register(server: McpServer, ctx: ToolContext): ResourceHandle {
  server.registerResource(
    name,
    new ResourceTemplate(RESOURCE_TEMPLATE, { list: undefined }),
    {
      title: 'Crawl status',
      description:
        "A crawl's current status as JSON (the same fields as get_crawl_status). Subscribe to get notifications/resources/updated while it changes, until it ends.",
      mimeType: 'application/json',
    },
    async (uri, _variables, extra): Promise<ReadResourceResult> => {
      const executionId = executionIdFromUri(uri.href);
      try {
        const { out } = await readStatus(ctx, executionId, extra.signal);
        return {
          contents: [
            {
              uri: resourceUri(out.execution_id),
              mimeType: 'application/json',
              text: JSON.stringify(redactDeep(ctx, out)),
            },
          ],
        };
      } catch (error) {
        throw toMcpError(ctx, error, executionId);
      }
    },
  );

  /** Per subscribed URI: stops the subscription's watch of the shared view. */
  const watchers = new Map<string, () => void>();

  const stop = (uri: string): void => {
    watchers.get(uri)?.();
    watchers.delete(uri);
  };

  /** Follows the shared view: one notification per change, until the crawl ends or the subscription stops. */
  const watch = (uri: string, view: CrawlView): void => {
    const timeout = setTimeout(() => stop(uri), ctx.subscription.timeoutMs);
    timeout.unref();
    const unwatch = view.watch({
      update(changed) {
        if (changed) {
          server.server.sendResourceUpdated({ uri }).catch((error: unknown) => {
            ctx.log(`subscription ${uri}: notification failed: ${ctx.redact(String(error))}`);
          });
        }
        if (view.finished) stop(uri);
        else if (view.error !== undefined && isPermanent(view.error) && view.snapshot().error !== undefined) {
          ctx.log(
            `subscription ${uri} stopped: ${ctx.redact(describeError(view.error, { action: 'watch the crawl', executionId: view.executionId }))}`,
          );
          stop(uri);
        }
      },
    });
    watchers.set(uri, () => {
      clearTimeout(timeout);
      unwatch();
    });
  };

  server.server.setRequestHandler(SubscribeRequestSchema, async (request, extra) => {
    const uri = request.params.uri;
    const executionId = executionIdFromUri(uri);
    let view: CrawlView;
    try {
      ({ view } = await readStatus(ctx, executionId, extra.signal));
    } catch (error) {
      throw toMcpError(ctx, error, executionId);
    }
    stop(uri);
    if (!view.finished) watch(uri, view);
    return {};
  });

  server.server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
    stop(request.params.uri);
    return {};
  });

  return {
    get subscriptions() {
      return new Set(watchers.keys());
    },
    close() {
      for (const uri of [...watchers.keys()]) stop(uri);
    },
  };
}
