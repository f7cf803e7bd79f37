export { CatalogClient, DEFAULT_BASE_URL, ENV_API_KEY, ENV_BASE_URL, VERSION, clientOptionsFromEnv } from './client.js';
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
export { formatDuration, parseDuration } from './duration.js';
export { isTerminalStatus, currentStep, validateCrawlUrl, validateExecutionId } from './crawl.js';
export { nextPollDelayMs, suggestPollIntervalMs, waitForCrawl, watchCrawl } from './wait.js';
export * from './types.js';
