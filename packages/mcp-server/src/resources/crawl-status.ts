import {
  type Crawl,
  InvalidInputError,
  isTerminalStatus,
  NotFoundError,
  validateExecutionId,
  watchCrawl,
} from '@catalog-crawl/core';
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
import { crawlStatus, RESOURCE_TEMPLATE, resourceUri } from '../format.js';

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

function fingerprint(crawl: Crawl): string {
  return JSON.stringify([crawl.status, crawl.steps, crawl.progress, crawl.result, crawl.error]);
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
    async (uri): Promise<ReadResourceResult> => {
      const executionId = executionIdFromUri(uri.href);
      try {
        const crawl = await ctx.getClient().getCrawl(executionId);
        const out = crawlStatus(crawl);
        return {
          contents: [
            {
              uri: resourceUri(crawl.executionId),
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

  const watchers = new Map<string, AbortController>();

  const stop = (uri: string): void => {
    watchers.get(uri)?.abort();
    watchers.delete(uri);
  };

  const watch = async (uri: string, executionId: string, first: Crawl, controller: AbortController) => {
    let last = fingerprint(first);
    try {
      const items = watchCrawl(ctx.getClient(), executionId, {
        signal: controller.signal,
        timeoutMs: ctx.subscription.timeoutMs,
        minIntervalMs: ctx.subscription.minIntervalMs,
        maxIntervalMs: Math.max(ctx.subscription.minIntervalMs, ctx.subscription.maxIntervalMs),
      });
      for await (const item of items) {
        if (item.type === 'result' || item.type === 'warning' || item.type === 'heartbeat' || !item.crawl)
          continue;
        const print = fingerprint(item.crawl);
        if (print === last) continue;
        last = print;
        if (controller.signal.aborted) break;
        await server.server.sendResourceUpdated({ uri });
      }
    } catch (error) {
      if (!controller.signal.aborted) {
        ctx.log(
          `subscription ${uri} stopped: ${ctx.redact(describeError(error, { action: 'watch the crawl', executionId }))}`,
        );
      }
    } finally {
      if (watchers.get(uri) === controller) watchers.delete(uri);
    }
  };

  server.server.registerCapabilities({ resources: { subscribe: true, listChanged: true } });

  server.server.setRequestHandler(SubscribeRequestSchema, async (request, extra) => {
    const uri = request.params.uri;
    const executionId = executionIdFromUri(uri);
    let crawl: Crawl;
    try {
      crawl = await ctx.getClient().getCrawl(executionId, { signal: extra.signal });
    } catch (error) {
      throw toMcpError(ctx, error, executionId);
    }
    stop(uri);
    if (isTerminalStatus(crawl.status)) return {};
    const controller = new AbortController();
    watchers.set(uri, controller);
    void watch(uri, executionId, crawl, controller);
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
