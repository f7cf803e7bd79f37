import { parseArgs } from 'node:util';
import { normaliseHost } from './crawls.js';
import type { EmulatorOptions, FaultConfig } from './types.js';

export const USAGE = `Usage: catalog-crawl-emulator [options]

A local emulator of the Catalog crawl API (state in memory; a restart starts empty).

Options:
  --port N               port to listen on (default 8787; 0 = any free port)
  --host HOST            address to bind (default 127.0.0.1)
  --speed X              simulated time factor (default 1; 100 = a 50-minute crawl takes 30 s)
  --seed S               seed for durations, counts and ids (default 0)
  --api-key KEY[:ORG]    accept KEY for organisation ORG (default org "default"); repeatable.
                         Without any, the documented default key is accepted and printed.
  --rate-limit N         requests per window per client address (default 50; 0 = off)
  --rate-window-ms MS    rate-limit window (default 4000)
  --fault-server-error P share of responses that become 500/502/503 (0..1)
  --fault-html P         share of 502 HTML proxy pages
  --fault-truncated P    share of responses whose JSON body is cut
  --fault-invalid-json P share of responses with a non-JSON body
  --fault-reset P        share of connections reset without an answer
  --fault-slow P         share of responses delayed by --fault-slow-ms
  --fault-slow-ms MS     delay of a slow response (default 35000)
  --fault-429 P          share of 429 answers with Retry-After
  --fault-retry-after S  Retry-After seconds of those 429s (default 1)
  --fault-seed S         seed of the fault draws (default: --seed)

Readings of the API that its docs leave open (see the README):
  --cancel-refusal 409|400            status of a refused cancel (pending or finished crawl; default 409)
  --cancel-refusal-pending-message T  wording of the refusal for a pending crawl
  --cancel-refusal-finished-message T wording of the refusal for a finished crawl
  --cancelled-status failed|canceled|cancelled
                         what a cancelled crawl reads afterwards (default failed)
  --totals meta.result|total_listings_found|meta.total_listings_found
                         where a completed crawl puts its totals (default meta.result)
  --list-status native|processing
                         status of pending/running crawls in GET /v2/crawl (default native)
  --pending-null-dates   a pending crawl has null start_date, stop_date and duration_ms

Results endpoints (/v2/vendors, /v2/collections, /v2/listings):
  --results-methods both|get|post|post-404
                         methods accepted; the other answers 405 (post-404: GET answers 404)
  --results-envelope v2|v1         v1: listings/collections/vendors arrays and v1 meta (default v2)
  --repeat-last-page has-next|endless
                         a broken server: pages past the last repeat it and has_next stays true
                         (endless: total_pages always claims one more page)
  --unknown-vendor 404|empty       answer for a vendor with nothing indexed (default 404)
  --indexed-vendor HOST  a vendor indexed from the start, as if crawled a day earlier; repeatable
  --quiet                no request log on stderr
  -h, --help             show this help
`;

export class UsageError extends Error {}

const FAULT_FLAGS: Record<string, keyof FaultConfig> = {
  'fault-server-error': 'serverError',
  'fault-html': 'htmlError',
  'fault-truncated': 'truncatedJson',
  'fault-invalid-json': 'invalidJson',
  'fault-reset': 'reset',
  'fault-slow': 'slow',
  'fault-429': 'rateLimitBurst',
};

/** Flags that pick one of a few values: flag -> [option, allowed values (as typed), value to set]. */
const CHOICES: Record<string, { option: keyof EmulatorOptions; values: Record<string, unknown> }> = {
  'cancel-refusal': { option: 'cancelRefusal', values: { '409': 409, '400': 400 } },
  'cancelled-status': {
    option: 'cancelledStatus',
    values: { failed: 'failed', canceled: 'canceled', cancelled: 'cancelled' },
  },
  totals: {
    option: 'totals',
    values: {
      'meta.result': 'meta.result',
      total_listings_found: 'total_listings_found',
      'meta.total_listings_found': 'meta.total_listings_found',
    },
  },
  'list-status': { option: 'listActiveStatus', values: { native: 'native', processing: 'processing' } },
  'results-methods': {
    option: 'resultsMethods',
    values: { both: 'both', get: 'get', post: 'post', 'post-404': 'post-404' },
  },
  'results-envelope': { option: 'resultsEnvelope', values: { v2: 'v2', v1: 'v1' } },
  'repeat-last-page': {
    option: 'resultsRepeatLastPage',
    values: { 'has-next': 'has-next', endless: 'endless' },
  },
  'unknown-vendor': { option: 'unknownVendor', values: { '404': '404', empty: 'empty' } },
};

export interface CliConfig {
  help: boolean;
  quiet: boolean;
  defaultKey: boolean;
  options: EmulatorOptions & { port: number; host: string };
}

function number(flag: string, text: string, check: (n: number) => boolean, want: string): number {
  const n = /^-?\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!check(n)) throw new UsageError(`--${flag} must be ${want}`);
  return n;
}

function describeParseError(error: unknown): string {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  const option = /'(--?[A-Za-z0-9-]+)/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${option ?? ''}`.trim();
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
    return 'unexpected argument (this command takes only options)';
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE')
    return `invalid or missing value for ${option ?? 'an option'}`;
  return 'invalid arguments';
}

/** Parses the bin's arguments; throws UsageError (never echoing an argument's value). */
export function parseCliArgs(argv: string[]): CliConfig {
  const text = { type: 'string' } as const;
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: text,
        host: text,
        speed: text,
        seed: text,
        'api-key': { type: 'string', multiple: true },
        'rate-limit': text,
        'rate-window-ms': text,
        ...Object.fromEntries(Object.keys(FAULT_FLAGS).map((flag) => [flag, text])),
        'fault-slow-ms': text,
        'fault-retry-after': text,
        'fault-seed': text,
        ...Object.fromEntries(Object.keys(CHOICES).map((flag) => [flag, text])),
        'cancel-refusal-pending-message': text,
        'cancel-refusal-finished-message': text,
        'pending-null-dates': { type: 'boolean' },
        'indexed-vendor': { type: 'string', multiple: true },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    throw new UsageError(describeParseError(error));
  }
  const str = (name: string) => values[name] as string | undefined;
  const port = str('port');
  const options: CliConfig['options'] = {
    port:
      port === undefined
        ? 8787
        : number(
            'port',
            port,
            (n) => Number.isInteger(n) && n >= 0 && n <= 65535,
            'an integer from 0 to 65535',
          ),
    host: str('host') ?? '127.0.0.1',
  };
  if (options.host.trim() === '') throw new UsageError('--host must not be empty');
  const speed = str('speed');
  if (speed !== undefined) options.speed = number('speed', speed, (n) => n > 0, 'a number > 0');
  const seed = str('seed');
  if (seed !== undefined) options.seed = seed;

  const keys = (values['api-key'] as string[] | undefined) ?? [];
  if (keys.length > 0) {
    options.apiKeys = keys.map((value) => {
      const colon = value.lastIndexOf(':');
      const key = (colon === -1 ? value : value.slice(0, colon)).trim();
      const org = (colon === -1 ? 'default' : value.slice(colon + 1)).trim();
      if (key === '' || org === '') throw new UsageError('--api-key needs KEY or KEY:ORG (both non-empty)');
      return { key, org };
    });
  }

  const rateLimit = str('rate-limit');
  const windowMs = str('rate-window-ms');
  const requests =
    rateLimit === undefined
      ? 50
      : number('rate-limit', rateLimit, (n) => Number.isInteger(n) && n >= 0, 'an integer >= 0');
  const window =
    windowMs === undefined ? 4_000 : number('rate-window-ms', windowMs, (n) => n > 0, 'a number of ms > 0');
  options.rateLimit = requests === 0 ? false : { requests, windowMs: window };

  const faults: FaultConfig = {};
  let anyFault = false;
  for (const [flag, field] of Object.entries(FAULT_FLAGS)) {
    const value = str(flag);
    if (value === undefined) continue;
    (faults as Record<string, number>)[field] = number(
      flag,
      value,
      (n) => n >= 0 && n <= 1,
      'a share from 0 to 1',
    );
    anyFault = true;
  }
  const slowMs = str('fault-slow-ms');
  if (slowMs !== undefined)
    faults.slowMs = number('fault-slow-ms', slowMs, (n) => n >= 0, 'a number of ms >= 0');
  const retryAfter = str('fault-retry-after');
  if (retryAfter !== undefined) {
    faults.retryAfterSeconds = number(
      'fault-retry-after',
      retryAfter,
      (n) => Number.isInteger(n) && n >= 0,
      'an integer >= 0',
    );
  }
  const faultSeed = str('fault-seed');
  if (faultSeed !== undefined) faults.seed = faultSeed;
  const shares = Object.values(FAULT_FLAGS).reduce(
    (sum, field) => sum + ((faults[field] as number | undefined) ?? 0),
    0,
  );
  if (shares > 1 + 1e-9) throw new UsageError('the --fault-* shares must add up to at most 1');
  if (anyFault) options.faults = faults;

  for (const [flag, { option, values: allowed }] of Object.entries(CHOICES)) {
    const value = str(flag);
    if (value === undefined) continue;
    if (!Object.hasOwn(allowed, value)) {
      throw new UsageError(`--${flag} must be one of ${Object.keys(allowed).join(', ')}`);
    }
    (options as unknown as Record<string, unknown>)[option] = allowed[value];
  }
  const pendingMessage = str('cancel-refusal-pending-message');
  const finishedMessage = str('cancel-refusal-finished-message');
  if (pendingMessage !== undefined || finishedMessage !== undefined) {
    if (pendingMessage?.trim() === '' || finishedMessage?.trim() === '') {
      throw new UsageError('--cancel-refusal-*-message must not be empty');
    }
    options.cancelRefusalMessages = {
      ...(pendingMessage !== undefined ? { pending: pendingMessage } : {}),
      ...(finishedMessage !== undefined ? { finished: finishedMessage } : {}),
    };
  }
  if (values['pending-null-dates'] === true) options.pendingNullDates = true;
  const vendors = (values['indexed-vendor'] as string[] | undefined) ?? [];
  if (vendors.length > 0) {
    if (vendors.some((host) => normaliseHost(host) === undefined)) {
      throw new UsageError('--indexed-vendor must be a hostname like skims.com');
    }
    options.indexedVendors = vendors;
  }

  return { help: values.help === true, quiet: values.quiet === true, defaultKey: keys.length === 0, options };
}
