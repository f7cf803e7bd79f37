import { type CatalogClient, createRedactor } from '@catalog-crawl/core';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { DEFAULT_TOOL_TIMEOUT_MS, MAX_TOOL_TIMEOUT_MS } from './bound.js';
import type { SubscriptionSettings, ToolContext, WaitSettings } from './context.js';
import { missingKeyError } from './errors.js';
import { register as registerCrawlResource } from './resources/crawl-status.js';
import { register as registerListingsResource } from './resources/listings-page.js';
import { registerTools } from './tools/index.js';
import { DEFAULT_WAIT_SECONDS, MAX_WAIT_SECONDS } from './tools/wait-for-crawl.js';
import { SERVER_NAME, VERSION } from './version.js';
import { CrawlViews, type PollSettings } from './views.js';

export interface CreateServerOptions {
  /** The Catalog client every tool uses. */
  client?: CatalogClient;
  /**
   * Called lazily, on the first tool call or read, when `client` is not given. Whatever it throws becomes an
   * `isError` result (for example the missing-key error). Neither given: every call says the key is missing.
   */
  clientFactory?: () => CatalogClient;
  /** Strings that must never leave the server (the API keys). Removed from every text as `***`. */
  secrets?: (string | undefined)[];
  /** Whether this connection is HTTP (changes the missing-key advice). */
  http?: boolean;
  wait?: Partial<WaitSettings>;
  subscription?: Partial<SubscriptionSettings>;
  /**
   * The shared view of every crawl. Pass one registry to every server of a process (the HTTP mode does) so
   * that all sessions share it; by default each server gets its own, closed with it.
   */
  views?: CrawlViews;
  /** How often crawls are read, when this server makes its own views. */
  poll?: Partial<PollSettings>;
  /** Bound of every single-shot tool, in ms. Default 30_000, at most 50_000. */
  toolTimeoutMs?: number;
  /** Aborts when the process shuts down: in-flight waits answer at once with what they have. */
  shutdown?: AbortSignal;
  /** Diagnostics; the CLI writes them to stderr. Default: none. */
  log?: (line: string) => void;
}

export const SERVER_INSTRUCTIONS =
  'Tools for crawling vendor websites with the Catalog API. Typical flow: start_crawl {url} returns an execution_id at once; ' +
  'then call wait_for_crawl {execution_id} repeatedly (each call waits at most 45 s and returns still_running when time runs out; calls share one poll of the API) ' +
  'until the crawl is completed or failed. get_crawl_status reads the status once; list_crawls finds earlier crawls; ' +
  'cancel_crawl stops a crawl (only when the user asks). Once completed, get_crawl_results reads what it found, a page at a time.';

export function defaultWaitSettings(overrides: Partial<WaitSettings> = {}): WaitSettings {
  const maxWaitSeconds = Math.min(overrides.maxWaitSeconds ?? MAX_WAIT_SECONDS, MAX_WAIT_SECONDS);
  return {
    defaultWaitSeconds: Math.min(overrides.defaultWaitSeconds ?? DEFAULT_WAIT_SECONDS, maxWaitSeconds),
    maxWaitSeconds,
    heartbeatMs: overrides.heartbeatMs ?? 15_000,
  };
}

export function defaultSubscriptionSettings(
  overrides: Partial<SubscriptionSettings> = {},
): SubscriptionSettings {
  return { timeoutMs: overrides.timeoutMs ?? 6 * 3_600_000 };
}

/** The poll settings, reading the intervals callers used to give per wait or subscription as shared ones. */
export function pollOptions(
  options: Pick<CreateServerOptions, 'poll' | 'wait' | 'subscription'>,
): Partial<PollSettings> {
  const intervals = (from: { minIntervalMs?: number; maxIntervalMs?: number } | undefined) => ({
    ...(from?.minIntervalMs !== undefined ? { minIntervalMs: from.minIntervalMs } : {}),
    ...(from?.maxIntervalMs !== undefined ? { maxIntervalMs: from.maxIntervalMs } : {}),
  });
  return { ...intervals(options.subscription), ...intervals(options.wait), ...options.poll };
}

/**
 * Builds the MCP server: five tools (start_crawl, get_crawl_status, wait_for_crawl, cancel_crawl, list_crawls)
 * and the `catalog-crawl://crawls/{execution_id}` resource with subscriptions. Connect it to any transport;
 * closing it stops every subscription watcher.
 */
export function createServer(options: CreateServerOptions = {}): McpServer {
  let client = options.client;
  const ownViews = options.views ? undefined : new CrawlViews(pollOptions(options));
  const ctx: ToolContext = {
    getClient() {
      if (client) return client;
      if (!options.clientFactory) throw missingKeyError(options.http ?? false);
      client = options.clientFactory();
      return client;
    },
    redact: createRedactor(options.secrets ?? []),
    views: options.views ?? ownViews!,
    wait: defaultWaitSettings(options.wait),
    subscription: defaultSubscriptionSettings(options.subscription),
    toolTimeoutMs: Math.min(
      Math.max(options.toolTimeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS, 1_000),
      MAX_TOOL_TIMEOUT_MS,
    ),
    shutdown: options.shutdown ?? new AbortController().signal,
    log: options.log ?? (() => {}),
  };

  const server = new McpServer(
    { name: SERVER_NAME, title: 'Catalog crawl', version: VERSION },
    {
      capabilities: { tools: { listChanged: false }, resources: { subscribe: true, listChanged: false } },
      instructions: SERVER_INSTRUCTIONS,
    },
  );
  registerTools(server, ctx);
  const resource = registerCrawlResource(server, ctx);
  registerListingsResource(server, ctx);
  // McpServer advertises listChanged for tools and resources; this server never sends those notifications
  // (everything is registered before connecting), so it says so.
  server.server.registerCapabilities({
    tools: { listChanged: false },
    resources: { subscribe: true, listChanged: false },
  });

  const previous = server.server.onclose;
  server.server.onclose = () => {
    resource.close();
    ownViews?.close();
    previous?.();
  };
  return server;
}
