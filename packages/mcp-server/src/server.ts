import { type CatalogClient, createRedactor, MIN_POLL_INTERVAL_MS, WAIT_DEFAULTS } from '@catalog-crawl/core';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { SubscriptionSettings, ToolContext, WaitSettings } from './context.js';
import { missingKeyError } from './errors.js';
import { register as registerCrawlResource } from './resources/crawl-status.js';
import { registerTools } from './tools/index.js';
import { DEFAULT_WAIT_SECONDS, MAX_WAIT_SECONDS } from './tools/wait-for-crawl.js';
import { SERVER_NAME, VERSION } from './version.js';

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
  /** Diagnostics; the CLI writes them to stderr. Default: none. */
  log?: (line: string) => void;
}

export const SERVER_INSTRUCTIONS =
  'Tools for crawling vendor websites with the Catalog API. Typical flow: start_crawl {url} returns an execution_id at once; ' +
  'then call wait_for_crawl {execution_id} repeatedly (each call waits at most 45 s and returns still_running when time runs out) ' +
  'until the crawl is completed or failed. get_crawl_status reads the status once; list_crawls finds earlier crawls; ' +
  'cancel_crawl stops a crawl (only when the user asks).';

export function defaultWaitSettings(overrides: Partial<WaitSettings> = {}): WaitSettings {
  const maxWaitSeconds = Math.min(overrides.maxWaitSeconds ?? MAX_WAIT_SECONDS, MAX_WAIT_SECONDS);
  return {
    defaultWaitSeconds: Math.min(overrides.defaultWaitSeconds ?? DEFAULT_WAIT_SECONDS, maxWaitSeconds),
    maxWaitSeconds,
    // The API's documented 10-30 s band: an agent calling wait_for_crawl back to back for an hour-long crawl
    // must not poll faster than any other client would.
    minIntervalMs: Math.max(overrides.minIntervalMs ?? WAIT_DEFAULTS.minIntervalMs, MIN_POLL_INTERVAL_MS),
    maxIntervalMs: overrides.maxIntervalMs ?? WAIT_DEFAULTS.maxIntervalMs,
    heartbeatMs: overrides.heartbeatMs ?? 15_000,
  };
}

export function defaultSubscriptionSettings(
  overrides: Partial<SubscriptionSettings> = {},
): SubscriptionSettings {
  return {
    minIntervalMs: Math.max(overrides.minIntervalMs ?? WAIT_DEFAULTS.minIntervalMs, MIN_POLL_INTERVAL_MS),
    maxIntervalMs: overrides.maxIntervalMs ?? WAIT_DEFAULTS.maxIntervalMs,
    timeoutMs: overrides.timeoutMs ?? 6 * 3_600_000,
  };
}

/**
 * Builds the MCP server: five tools (start_crawl, get_crawl_status, wait_for_crawl, cancel_crawl, list_crawls)
 * and the `catalog-crawl://crawls/{execution_id}` resource with subscriptions. Connect it to any transport;
 * closing it stops every subscription watcher.
 */
export function createServer(options: CreateServerOptions = {}): McpServer {
  let client = options.client;
  const ctx: ToolContext = {
    getClient() {
      if (client) return client;
      if (!options.clientFactory) throw missingKeyError(options.http ?? false);
      client = options.clientFactory();
      return client;
    },
    redact: createRedactor(options.secrets ?? []),
    wait: defaultWaitSettings(options.wait),
    subscription: defaultSubscriptionSettings(options.subscription),
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

  const previous = server.server.onclose;
  server.server.onclose = () => {
    resource.close();
    previous?.();
  };
  return server;
}
