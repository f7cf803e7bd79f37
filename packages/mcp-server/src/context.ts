import type { CatalogClient } from '@catalog-crawl/core';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { CrawlViews } from './views.js';

/** Settings of wait_for_crawl. How often the API is read is the shared view's business (PollSettings). */
export interface WaitSettings {
  /** Default 40. */
  defaultWaitSeconds: number;
  /** Default 45: below the ~60 s request timeout many MCP clients impose. */
  maxWaitSeconds: number;
  /** A progress notification at least this often while waiting, so clients that reset their timeout on progress keep going. Default 15_000. */
  heartbeatMs: number;
  /** @deprecated Read as `poll.minIntervalMs`: one shared view per crawl polls for every caller. */
  minIntervalMs?: number;
  /** @deprecated Read as `poll.maxIntervalMs`. */
  maxIntervalMs?: number;
}

/** Settings of resource subscriptions. */
export interface SubscriptionSettings {
  /** A subscription stops after this long even if the crawl is still running. Default 6 h. */
  timeoutMs: number;
  /** @deprecated Read as `poll.minIntervalMs`: subscriptions follow the shared view. */
  minIntervalMs?: number;
  /** @deprecated Read as `poll.maxIntervalMs`. */
  maxIntervalMs?: number;
}

/** What every tool and the resource need; one per McpServer instance (one per HTTP session). */
export interface ToolContext {
  /** The client for this connection. Throws (typed CatalogError) when no API key is configured. */
  getClient(): CatalogClient;
  /** Removes secrets (the API keys known to this server) from any text before it leaves. */
  redact(text: string): string;
  /** The process-wide view of every crawl (shared across sessions). */
  views: CrawlViews;
  wait: WaitSettings;
  subscription: SubscriptionSettings;
  /** Every single-shot tool answers within this (default 30_000; wait_for_crawl within wait_seconds). */
  toolTimeoutMs: number;
  /** Aborts when the process shuts down: waits answer at once with what they have. */
  shutdown: AbortSignal;
  /** Diagnostics (stderr in the CLI). Never receives secrets unredacted. */
  log(line: string): void;
}

/** A successful tool result: structured content plus the same information as a short text. */
export function toolResult<T extends Record<string, unknown>>(
  ctx: ToolContext,
  structured: T,
  text: string,
): CallToolResult {
  return {
    content: [{ type: 'text', text: ctx.redact(text) }],
    structuredContent: redactDeep(ctx, structured),
  };
}

/** Redacts every string in a JSON-like value: crawl fields come from the API, which may echo the key. */
export function redactDeep<T>(ctx: Pick<ToolContext, 'redact'>, value: T): T {
  if (typeof value === 'string') return ctx.redact(value) as T;
  if (Array.isArray(value)) return value.map((item) => redactDeep(ctx, item)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactDeep(ctx, item)])) as T;
  }
  return value;
}
