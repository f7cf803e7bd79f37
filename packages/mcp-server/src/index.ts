export { BoundReachedError, DEFAULT_TOOL_TIMEOUT_MS, MAX_TOOL_TIMEOUT_MS, withinBound } from './bound.js';
export type { SubscriptionSettings, ToolContext, WaitSettings } from './context.js';
export { describeError, missingKeyError } from './errors.js';
export { BoundedEventStore } from './event-store.js';
export {
  crawlStatus,
  isCancelledCrawl,
  ProgressCounter,
  progressMessage,
  progressValue,
  RESOURCE_TEMPLATE,
  resourceUri,
  statusLine,
  statusText,
} from './format.js';
export { type HttpServerHandle, type HttpServerOptions, startHttpServer } from './http.js';
export { executionIdFromUri } from './resources/crawl-status.js';
export * from './schemas.js';
export {
  type CreateServerOptions,
  createServer,
  defaultSubscriptionSettings,
  defaultWaitSettings,
  SERVER_INSTRUCTIONS,
} from './server.js';
export { jsonSchemaOf, listedTools, tools } from './tools/index.js';
export { SERVER_NAME, VERSION } from './version.js';
export { CrawlView, CrawlViews, DEFAULT_POLL_SETTINGS, type PollSettings, type Snapshot } from './views.js';
