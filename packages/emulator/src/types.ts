export type FaultKind =
  | 'server_error'
  | 'html_error'
  | 'truncated_json'
  | 'invalid_json'
  | 'reset'
  | 'slow'
  | 'rate_limit';

/** Shares are probabilities 0..1 (their sum at most 1), decided per request by a seeded PRNG. */
export interface FaultConfig {
  seed?: string | number;
  /** 500/502/503 JSON envelope. */
  serverError?: number;
  /** 502 with an HTML proxy page. */
  htmlError?: number;
  /** The real status with its JSON body cut in half. */
  truncatedJson?: number;
  /** The real status with a non-JSON body (still labelled application/json). */
  invalidJson?: number;
  /** Socket destroyed without an answer. */
  reset?: number;
  /** Answer delayed by slowMs of real time (default 35_000). */
  slow?: number;
  slowMs?: number;
  /** 429 with Retry-After: retryAfterSeconds (default 1). */
  rateLimitBurst?: number;
  retryAfterSeconds?: number;
}

export interface FaultMatch {
  method?: string;
  /** Exact pathname, or a RegExp tested against the pathname. */
  path?: string | RegExp;
  /** How many matching requests get the fault (default 1). */
  count?: number;
  /** For 'slow': the delay in ms (default: the run's slowMs, else 35_000). */
  slowMs?: number;
  /** For 'server_error': the status (default: 500, 502 or 503 from the PRNG). */
  status?: number;
}

export interface ApiKey {
  key: string;
  org: string;
}

export interface EmulatorOptions {
  /** 0 = ephemeral (default). */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** 1 = real time; 100 = a 50-minute crawl takes 30 s. */
  speed?: number;
  /** Durations and counts are deterministic from seed + hostname. Default 0. */
  seed?: string | number;
  /** Default [{ key: DEFAULT_API_KEY, org: 'default' }]. */
  apiKeys?: ApiKey[];
  /** Default { requests: 50, windowMs: 4000 } per client address; false turns it off. */
  rateLimit?: { requests: number; windowMs: number } | false;
  /** Off by default. */
  faults?: FaultConfig;
  /** true: simulated time moves only via clock.advance(). */
  manualClock?: boolean;
  /** Called with one line per request (never contains an API key). */
  log?: (line: string) => void;

  // Readings of the API that its docs leave open. Each applies to every crawl; a scenario host can
  // set one for its own crawl (see the README), and the host wins.

  /** Status of a refused DELETE (a pending or finished crawl). Default 409. */
  cancelRefusal?: CancelRefusalStatus;
  /** Wording of the refusals; defaults say which case it is (and differ). */
  cancelRefusalMessages?: { pending?: string; finished?: string };
  /** What GET reads after a successful cancel. Default 'failed' (the documented reading). */
  cancelledStatus?: CancelledStatus;
  /** Where a completed crawl puts its totals. Default 'meta.result'. */
  totals?: TotalsPlacement;
  /** 'processing': list items of pending/running crawls read `processing`. Default 'native'. */
  listActiveStatus?: ListActiveStatus;
  /** true: a pending crawl has null start_date, stop_date and duration_ms (start_date is then the start of running). */
  pendingNullDates?: boolean;

  // The results endpoints (/v2/vendors, /v2/collections, /v2/listings).

  /** Methods they accept: 'both' (default), 'get' (POST answers 405), 'post' (GET answers 405) or 'post-404' (GET answers 404 NOT_FOUND). */
  resultsMethods?: ResultsMethods;
  /** 'v2' (default): {data, pagination, meta}; 'v1': {listings|collections|vendors, meta{total_items,total_pages,current_page,page_size}}. */
  resultsEnvelope?: ResultsEnvelope;
  /**
   * A broken server: pages past the last repeat the last page and has_next stays true.
   * 'has-next': total_pages stays honest; 'endless': total_pages also claims one more page than asked.
   */
  resultsRepeatLastPage?: RepeatLastPage | false;
  /** A vendor with nothing indexed: '404' (default) or 'empty' (200 with no data). */
  unknownVendor?: UnknownVendor;
  /** Hostnames indexed from the start, as if crawled (completed) a day before the emulator started. */
  indexedVendors?: string[];
}

export type CancelRefusalStatus = 409 | 400;
export type CancelledStatus = 'failed' | 'canceled' | 'cancelled';
export type TotalsPlacement = 'meta.result' | 'total_listings_found' | 'meta.total_listings_found';
export type ListActiveStatus = 'native' | 'processing';
export type ResultsMethods = 'both' | 'get' | 'post' | 'post-404';
export type ResultsEnvelope = 'v2' | 'v1';
export type RepeatLastPage = 'has-next' | 'endless';
export type UnknownVendor = '404' | 'empty';

export interface RequestRecord {
  method: string;
  /** The pathname, without the query. */
  path: string;
  /** The query string including '?', or ''. */
  query: string;
  /** 0 when the connection was reset without an answer. */
  status: number;
  /** Wall-clock epoch ms when the request arrived. */
  at: number;
  fault?: FaultKind;
  org?: string;
  requestId: string;
}

export interface Emulator {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  port: number;
  /** Closes every socket and pending slow answer; no handle is left open. */
  close(): Promise<void>;
  clock: { now(): number; advance(ms: number): void };
  setFaults(config: FaultConfig | undefined): void;
  injectFault(kind: FaultKind, match?: FaultMatch): void;
  requests: RequestRecord[];
  /** Simulated duration a crawl of that host will take (to its failure for fail-* hosts; Infinity for stall). */
  plannedDurationMs(urlOrHost: string): number;
}
