export {
  CatalogClient,
  clientOptionsFromEnv,
  DEFAULT_BASE_URL,
  ENV_API_KEY,
  ENV_BASE_URL,
  VERSION,
} from './client.js';
export { validateApiKey, validateBaseUrl } from './config.js';
export { currentStep, isTerminalStatus, validateCrawlUrl, validateExecutionId } from './crawl.js';
export { formatDuration, parseDuration } from './duration.js';
export {
  AbortedError,
  ApiError,
  AuthError,
  CatalogError,
  ConflictError,
  InvalidInputError,
  InvalidResponseError,
  LostContactError,
  NetworkError,
  NotFoundError,
  PaymentRequiredError,
  RateLimitError,
  ServerError,
  ValidationError,
} from './errors.js';
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
export * from './types.js';
export {
  LAST_STEP_SLOW_SHARE,
  nextPollDelayMs,
  type PollDelayOptions,
  suggestPollIntervalMs,
  waitForCrawl,
  watchCrawl,
} from './wait.js';
