import {
  DEFAULT_BASE_URL,
  type ExportFormat,
  InvalidInputError,
  parseDuration,
  validateApiKey,
  validateBaseUrl,
  validateCrawlUrl,
  validateExecutionId,
  validateExportFormat,
  validateWaitOptions,
  type WaitOptionName,
} from '@catalog-crawl/core';

/** Outcomes a user may list in `fail-on`. `error` always fails the step and `started` never does. */
export const FAILABLE_OUTCOMES = ['failed', 'canceled', 'timed_out', 'stalled'] as const;
export type FailableOutcome = (typeof FAILABLE_OUTCOMES)[number];

/**
 * The defaults, identical to the ones in action.yml (applied here too so a local run behaves the same). The
 * durations are core's WAIT_DEFAULTS written as action.yml writes them (a test checks they agree).
 */
export const INPUT_DEFAULTS = {
  'api-base-url': DEFAULT_BASE_URL,
  wait: 'true',
  timeout: '60m',
  'min-interval': '10s',
  'max-interval': '30s',
  'stall-timeout': 'off',
  'cancel-on-abort': 'true',
  'cancel-on-timeout': 'false',
  'cancel-on-stall': 'false',
  'cancel-wait': '2m',
  'fail-on': 'failed,canceled,timed_out,stalled',
  summary: 'true',
  'comment-on-pr': 'false',
  results: 'none',
  'results-format': 'jsonl',
  'results-path': 'catalog-results',
} as const;

/** What the `results` input asks for. */
export const RESULTS_CHOICES = ['none', 'listings', 'collections', 'all'] as const;
export type ResultsChoice = (typeof RESULTS_CHOICES)[number];

/** Most crawls one step waits for (one client and its rate limiter serve them all). */
export const MAX_CRAWLS = 50;

export interface ActionInputs {
  apiKey: string;
  baseUrl: string;
  /** Crawls to start (one per line of `url`); exactly one of `urls` and `executionIds` is non-empty. */
  urls: string[];
  /** Crawls to wait for (one per line of `execution-id`). */
  executionIds: string[];
  wait: boolean;
  timeoutMs: number;
  minIntervalMs: number;
  maxIntervalMs: number;
  /** Undefined when off. */
  stallTimeoutMs?: number;
  cancelOnAbort: boolean;
  cancelOnTimeout: boolean;
  /** Cancel the crawl when the wait stops as `stalled`. */
  cancelOnStall: boolean;
  /** How long a cancel of a still-pending crawl keeps trying (the post step, and cancel-on-timeout/stall). */
  cancelWaitMs: number;
  failOn: FailableOutcome[];
  summary: boolean;
  githubToken: string;
  commentOnPr: boolean;
  /** What to save of each completed crawl. */
  results: ResultsChoice;
  resultsFormat: ExportFormat;
  /** As given (relative to the workspace unless absolute). */
  resultsPath: string;
}

/** The inputs that carry core's wait options. */
const WAIT_INPUTS: Partial<Record<WaitOptionName, string>> = {
  timeoutMs: 'timeout',
  minIntervalMs: 'min-interval',
  maxIntervalMs: 'max-interval',
  stallTimeoutMs: 'stall-timeout',
};

/** Reads one input as the runner passes it; '' when unset. */
export type InputReader = (name: string) => string;

/** Every input error is an InvalidInputError whose `field` is the input's name (e.g. `timeout`). */
function inputError(name: string, message: string): InvalidInputError {
  return new InvalidInputError(name, `Input "${name}": ${message}`);
}

function read(get: InputReader, name: string): string {
  const value = get(name).trim();
  if (value !== '') return value;
  return (INPUT_DEFAULTS as Record<string, string>)[name] ?? '';
}

/** `true`/`false` in the YAML 1.2 core schema spellings, as @actions/core's getBooleanInput accepts. */
export function parseBoolean(name: string, value: string): boolean {
  if (['true', 'True', 'TRUE'].includes(value)) return true;
  if (['false', 'False', 'FALSE'].includes(value)) return false;
  throw inputError(name, `expected true or false, got "${value}".`);
}

const BARE_NUMBER = /^[+-]?\d+(\.\d+)?$/;

/** A duration with a unit (`90s`, `15m`, `2h`, `1h30m`); a bare number is rejected with a hint. */
export function parseDurationInput(name: string, value: string): number {
  if (BARE_NUMBER.test(value)) {
    throw inputError(
      name,
      `"${value}" has no unit. Write a duration with a unit, e.g. "${value}s", "${value}m" or "1h30m".`,
    );
  }
  let ms: number;
  try {
    ms = parseDuration(value, name);
  } catch (error) {
    // core's message names the input and says what to write instead
    rewrap(name, error);
  }
  if (!Number.isFinite(ms) || ms <= 0) {
    throw inputError(name, `"${value}" must be longer than zero.`);
  }
  return ms;
}

const OFF = new Set(['off', 'none', 'false', 'disabled']);

/** `stall-timeout`: a duration or `off`. */
export function parseOptionalDuration(name: string, value: string): number | undefined {
  if (OFF.has(value.toLowerCase())) return undefined;
  return parseDurationInput(name, value);
}

export function parseFailOn(value: string): FailableOutcome[] {
  if (OFF.has(value.toLowerCase())) return [];
  const items = value
    .split(/[\s,]+/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
  const result: FailableOutcome[] = [];
  for (const item of items) {
    const normalized = item.toLowerCase().replace(/-/g, '_');
    const outcome = normalized === 'cancelled' ? 'canceled' : normalized;
    if (!(FAILABLE_OUTCOMES as readonly string[]).includes(outcome)) {
      const hint =
        outcome === 'error'
          ? ' An error (bad input, authentication, lost contact) always fails the step.'
          : outcome === 'completed'
            ? ' A completed crawl never fails the step.'
            : '';
      throw inputError(
        'fail-on',
        `unknown outcome "${item}". Use a comma-separated list of ${FAILABLE_OUTCOMES.join(', ')} (or "none").${hint}`,
      );
    }
    if (!result.includes(outcome as FailableOutcome)) result.push(outcome as FailableOutcome);
  }
  return result;
}

/** A multi-line input: one value per line, blank lines ignored. */
function lines(value: string): string[] {
  return value
    .split(/\r?\n|\r/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function validated<T extends string>(name: string, value: string, validate: (value: string) => T): T {
  try {
    return validate(value);
  } catch (error) {
    rewrap(name, error);
  }
}

function parseResultsChoice(value: string): ResultsChoice {
  const choice = value.toLowerCase();
  if ((RESULTS_CHOICES as readonly string[]).includes(choice)) return choice as ResultsChoice;
  throw inputError('results', `unknown value "${value}". Use one of ${RESULTS_CHOICES.join(', ')}.`);
}

function rewrap(name: string, error: unknown): never {
  if (error instanceof InvalidInputError) {
    const message = error.message.startsWith('Input "') ? error.message : `Input "${name}": ${error.message}`;
    throw new InvalidInputError(name, message);
  }
  throw error;
}

/**
 * Parses and validates every input. Throws InvalidInputError (field = the input's name) with a message that
 * says what to write instead. Never includes the API key in a message.
 */
export function parseInputs(get: InputReader): ActionInputs {
  const apiKey = get('api-key').trim();
  if (apiKey === '') {
    throw inputError(
      'api-key',
      `is required. Store the key as a secret and pass it: api-key: $${'{{'} secrets.CATALOG_API_KEY }}`,
    );
  }
  try {
    validateApiKey(apiKey, 'Input "api-key":');
  } catch (error) {
    rewrap('api-key', error);
  }
  const rawUrls = lines(get('url'));
  const rawIds = lines(get('execution-id'));
  if (rawUrls.length > 0 && rawIds.length > 0) {
    throw new InvalidInputError(
      'url',
      'Inputs "url" and "execution-id" are both set. Set "url" to start a crawl, or "execution-id" to wait for an existing one, not both.',
    );
  }
  if (rawUrls.length === 0 && rawIds.length === 0) {
    throw new InvalidInputError(
      'url',
      'Neither "url" nor "execution-id" is set. Set "url" to start a crawl (e.g. url: skims.com), or "execution-id" to wait for an existing one.',
    );
  }
  const urls = unique(rawUrls.map((value) => validated('url', value, validateCrawlUrl)));
  const executionIds = unique(rawIds.map((value) => validated('execution-id', value, validateExecutionId)));
  const count = urls.length + executionIds.length;
  if (count > MAX_CRAWLS) {
    throw inputError(
      rawUrls.length > 0 ? 'url' : 'execution-id',
      `lists ${count} crawls; one step waits for at most ${MAX_CRAWLS}. Split them over several steps or a matrix.`,
    );
  }

  let baseUrl: string;
  try {
    baseUrl = validateBaseUrl(read(get, 'api-base-url'), 'Input "api-base-url":');
  } catch (error) {
    rewrap('api-base-url', error);
  }
  const wait = parseBoolean('wait', read(get, 'wait'));
  if (!wait && executionIds.length > 0) {
    throw inputError('wait', 'false only makes sense with "url" (start a crawl without waiting).');
  }
  const timeoutMs = parseDurationInput('timeout', read(get, 'timeout'));
  const minIntervalMs = parseDurationInput('min-interval', read(get, 'min-interval'));
  const maxIntervalMs = parseDurationInput('max-interval', read(get, 'max-interval'));
  const stallTimeoutMs = parseOptionalDuration('stall-timeout', read(get, 'stall-timeout'));
  try {
    // Core's one validator (floors, order), in the inputs' names.
    validateWaitOptions(
      { timeoutMs, minIntervalMs, maxIntervalMs, stallTimeoutMs },
      (field) => WAIT_INPUTS[field] ?? field,
    );
  } catch (error) {
    if (error instanceof InvalidInputError) {
      const name = WAIT_INPUTS[error.field as WaitOptionName] ?? error.field;
      throw inputError(name, `${error.reason}.`);
    }
    throw error;
  }

  const inputs: ActionInputs = {
    apiKey,
    baseUrl,
    urls,
    executionIds,
    wait,
    timeoutMs,
    minIntervalMs,
    maxIntervalMs,
    cancelOnAbort: parseBoolean('cancel-on-abort', read(get, 'cancel-on-abort')),
    cancelOnTimeout: parseBoolean('cancel-on-timeout', read(get, 'cancel-on-timeout')),
    cancelOnStall: parseBoolean('cancel-on-stall', read(get, 'cancel-on-stall')),
    cancelWaitMs: parseDurationInput('cancel-wait', read(get, 'cancel-wait')),
    failOn: parseFailOn(read(get, 'fail-on')),
    summary: parseBoolean('summary', read(get, 'summary')),
    githubToken: get('github-token').trim(),
    commentOnPr: parseBoolean('comment-on-pr', read(get, 'comment-on-pr')),
    results: parseResultsChoice(read(get, 'results')),
    resultsFormat: validated('results-format', read(get, 'results-format'), validateExportFormat),
    resultsPath: read(get, 'results-path'),
  };
  if (inputs.results !== 'none' && !wait) {
    throw inputError(
      'results',
      `"${inputs.results}" needs wait: true (results exist once the crawl has completed).`,
    );
  }
  if (stallTimeoutMs !== undefined) inputs.stallTimeoutMs = stallTimeoutMs;
  if (inputs.commentOnPr && inputs.githubToken === '') {
    throw inputError(
      'github-token',
      `is empty, but comment-on-pr is true. Pass github-token: $${'{{'} github.token }}.`,
    );
  }
  return inputs;
}
