// The public surface: what the faces and users need. Test hooks stay inside (tests import src/ directly).
export { cancelWhenRunning } from './cancel.js';
export { CatalogClient, VERSION } from './client.js';
export { type Clock, systemClock } from './clock.js';
export { validateApiKey, validateBaseUrl } from './config.js';
export {
  crawlOutcome,
  currentStep,
  isCanceledCrawl,
  isKnownStatus,
  isTerminalStatus,
  validateCrawlUrl,
  validateExecutionId,
} from './crawl.js';
export { parseDuration } from './duration.js';
export { clientOptionsFromEnv, DEFAULT_BASE_URL, ENV_API_KEY, ENV_BASE_URL, readEnv } from './env.js';
export {
  AbortedError,
  ApiError,
  AuthError,
  CatalogError,
  ConflictError,
  InvalidInputError,
  InvalidResponseError,
  isCatalogError,
  LostContactError,
  NetworkError,
  NotFoundError,
  PaymentRequiredError,
  RateLimitError,
  ServerError,
  ValidationError,
} from './errors.js';
export {
  crawlCounts,
  crawlDurationMs,
  crawlPosition,
  formatCount,
  formatCountOf,
  formatCounts,
  formatDuration,
  formatPosition,
  formatStep,
  progressFraction,
} from './format.js';
export {
  type ForceInfo,
  type InterruptOptions,
  type InterruptSignalName,
  type InterruptWatch,
  type SignalSource,
  watchInterrupts,
} from './interrupt.js';
export { createProxyFetch, describeProxy, proxyForUrl, proxySecrets } from './proxy.js';
export { createRedactor, MIN_SECRET_LENGTH } from './redact.js';
export * from './results/index.js';
// The MCP server's shared view schedules its own polls with the waiter's phase-aware delay.
export { nextPollDelayMs, type PollDelayOptions, suggestPollIntervalMs } from './schedule.js';
export * from './types.js';
export { waitForCrawl, watchCrawl } from './wait.js';
export {
  MIN_POLL_INTERVAL_MS,
  NOT_FOUND_GRACE_MS,
  UNKNOWN_STATUS_STALL_MS,
  validateWaitOptions,
  WAIT_DEFAULTS,
  type WaitOptionName,
  type WaitSettings,
} from './wait-options.js';
