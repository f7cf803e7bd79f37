import { createHash } from 'node:crypto';
import type { Clock } from './clock.js';
import { between, logUniform, seededRandom } from './random.js';
import type { CancelledStatus, ListActiveStatus, TotalsPlacement } from './types.js';

export const STEP_NAMES = [
  'Determining crawl method',
  'Discovering collections',
  'Analyzing collections',
  'Extracting listings',
] as const;

export const CANCELLED_ERROR = 'Crawl was cancelled by request';

export type CrawlStatus = 'pending' | 'running' | 'completed' | 'failed';
export type StepStatus = 'pending' | 'running' | 'completed' | 'failed';
export type Scenario =
  | 'fast'
  | 'long'
  | 'fail-determining'
  | 'fail-discovering'
  | 'fail-analyzing'
  | 'fail-extracting'
  | 'stall'
  | 'no-progress'
  | 'no-credits'
  | 'reads-canceled'
  | 'reads-cancelled'
  | 'totals-root'
  | 'totals-meta'
  | 'list-processing'
  | 'null-dates'
  | 'hostile'
  | 'pending'
  | 'listings';

const NAMED = [
  'fast',
  'long',
  'fail-determining',
  'fail-discovering',
  'fail-analyzing',
  'fail-extracting',
  'stall',
  'no-progress',
  'no-credits',
  'reads-canceled',
  'reads-cancelled',
  'totals-root',
  'totals-meta',
  'list-processing',
  'null-dates',
  'hostile',
];
const SCENARIO_RE = new RegExp(`^(${NAMED.join('|')})(?:-[a-z0-9-]+)?\\.example$`);
/** pending-<N>s[-run-<M>s][-anything].example: pending N s, then running M s (default 600). */
const PENDING_RE = /^pending-(\d{1,6})s(?:-run-(\d{1,6})s)?(?:-[a-z0-9-]+)?\.example$/;
/** listings-<N>[-anything].example: a fast crawl that finds exactly N listings. */
const LISTINGS_RE = /^listings-(\d{1,7})(?:-[a-z0-9-]+)?\.example$/;

const FAIL_STEPS: Record<string, { step: number; error: string }> = {
  'fail-determining': {
    step: 0,
    error: 'Could not determine a crawl method: the site blocked automated access (HTTP 403)',
  },
  'fail-discovering': {
    step: 1,
    error: 'Discovering collections failed: the sitemap and navigation returned no product collections',
  },
  'fail-analyzing': {
    step: 2,
    error: 'Analyzing collections failed: collection pages timed out after 3 retries',
  },
  'fail-extracting': {
    step: 3,
    error: 'Extracting listings failed: product pages returned an unexpected layout',
  },
};

const SHORT_MS = 10_000;
/** reads-canceled/reads-cancelled hosts run long enough to be cancelled while running. */
const CANCELLABLE_MS = 10 * 60_000;
const DEFAULT_RUN_S = 600;
const LONG_MS = 4 * 3_600_000;
const MIN_MS = 5 * 60_000;
const MAX_MS = 2 * 3_600_000;

/** Everything about a crawl of one host, fixed at creation. Times are offsets from creation in ms. */
export interface Plan {
  scenario: Scenario | undefined;
  pendingMs: number;
  /** Offset at which each step ends (the first step starts at pendingMs). */
  stepEnds: [number, number, number, number];
  /** Offset at which the crawl completes; Infinity when it never does. */
  durationMs: number;
  collectionsTotal: number;
  listingsTotal: number;
  failAt?: number;
  error?: string;
  stallAt?: number;
  hideProgress: boolean;
  noCredits: boolean;
  /** Listing names and URLs full of hostile text (results endpoints). */
  hostile: boolean;
  /** Per-crawl readings set by a scenario host; undefined = the emulator's option. */
  readings: Partial<Readings>;
}

/** The undocumented readings of the API a client must survive (EmulatorOptions of the same names). */
export interface Readings {
  cancelledStatus: CancelledStatus;
  totals: TotalsPlacement;
  listActiveStatus: ListActiveStatus;
  pendingNullDates: boolean;
}

export const DEFAULT_READINGS: Readings = {
  cancelledStatus: 'failed',
  totals: 'meta.result',
  listActiveStatus: 'native',
  pendingNullDates: false,
};

const SCENARIO_READINGS: Partial<Record<Scenario, Partial<Readings>>> = {
  'reads-canceled': { cancelledStatus: 'canceled' },
  'reads-cancelled': { cancelledStatus: 'cancelled' },
  'totals-root': { totals: 'total_listings_found' },
  'totals-meta': { totals: 'meta.total_listings_found' },
  'list-processing': { listActiveStatus: 'processing' },
  'null-dates': { pendingNullDates: true },
};

export function scenarioOf(host: string): Scenario | undefined {
  if (PENDING_RE.test(host)) return 'pending';
  if (LISTINGS_RE.test(host)) return 'listings';
  return SCENARIO_RE.exec(host)?.[1] as Scenario | undefined;
}

const LABEL_RE = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * Normalises a URL or bare domain to the vendor hostname: lowercase, no scheme, port, path, query,
 * trailing dot or leading `www.`. Returns undefined when it is not a public-looking hostname.
 */
export function normaliseHost(input: string): string | undefined {
  const text = input.trim().toLowerCase();
  if (text === '' || /\s/.test(text)) return undefined;
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//.test(text);
  if (hasScheme && !/^https?:\/\//.test(text)) return undefined;
  let host: string;
  try {
    host = new URL(hasScheme ? text : `http://${text}`).hostname;
  } catch {
    return undefined;
  }
  host = host.replace(/\.$/, '').replace(/^www\./, '');
  const labels = host.split('.');
  if (host.length > 253 || labels.length < 2) return undefined;
  if (!labels.every((label) => LABEL_RE.test(label))) return undefined;
  if (!/[a-z]/.test(labels[labels.length - 1]!)) return undefined;
  return host;
}

export function makePlan(seed: string | number, host: string): Plan {
  const random = seededRandom('plan', seed, host);
  const scenario = scenarioOf(host);
  const pending = scenario === 'pending' ? PENDING_RE.exec(host) : null;
  const short =
    scenario !== undefined && !['long', 'reads-canceled', 'reads-cancelled', 'pending'].includes(scenario);
  // The order of the random draws is kept for the original hosts, so their crawls stay what they were.
  let durationMs = short
    ? SHORT_MS
    : scenario === 'long'
      ? LONG_MS
      : scenario === 'reads-canceled' || scenario === 'reads-cancelled'
        ? CANCELLABLE_MS
        : pending
          ? 0
          : Math.round(logUniform(random, MIN_MS, MAX_MS));
  let pendingMs = Math.round(Math.min(5_000, Math.max(500, durationMs * 0.01)));
  if (pending) {
    pendingMs = Number(pending[1]) * 1000;
    durationMs = pendingMs + Math.max(1, Number(pending[2] ?? DEFAULT_RUN_S)) * 1000;
  }
  const shares = [between(random, 0.02, 0.06), between(random, 0.2, 0.35), between(random, 0.1, 0.2)];
  const span = durationMs - pendingMs;
  const end0 = pendingMs + Math.round(span * shares[0]!);
  const end1 = end0 + Math.round(span * shares[1]!);
  const end2 = end1 + Math.round(span * shares[2]!);
  let collectionsTotal = Math.round(short ? between(random, 3, 12) : logUniform(random, 5, 300));
  let listingsTotal = Math.round(collectionsTotal * logUniform(random, 20, short ? 40 : 250));
  const listings = scenario === 'listings' ? LISTINGS_RE.exec(host) : null;
  if (listings) {
    listingsTotal = Number(listings[1]);
    collectionsTotal = listingsTotal === 0 ? 0 : Math.min(2_000, Math.max(2, Math.ceil(listingsTotal / 125)));
  }
  const plan: Plan = {
    scenario,
    pendingMs,
    stepEnds: [end0, end1, end2, durationMs],
    durationMs,
    collectionsTotal,
    listingsTotal,
    hideProgress: scenario === 'no-progress',
    noCredits: scenario === 'no-credits',
    hostile: scenario === 'hostile',
    readings: (scenario && SCENARIO_READINGS[scenario]) ?? {},
  };
  const fail = scenario ? FAIL_STEPS[scenario] : undefined;
  if (fail) {
    const start = fail.step === 0 ? pendingMs : plan.stepEnds[fail.step - 1]!;
    plan.failAt = Math.round(start + (plan.stepEnds[fail.step]! - start) / 2);
    plan.error = fail.error;
  }
  if (scenario === 'stall') {
    plan.stallAt = Math.round(end0 + (end1 - end0) * 0.3);
    plan.durationMs = Number.POSITIVE_INFINITY;
    plan.stepEnds[3] = Number.POSITIVE_INFINITY;
  }
  return plan;
}

/** Simulated time from creation to the end of the crawl (failure time for failing hosts). */
export function plannedDuration(plan: Plan): number {
  if (plan.noCredits) return 0;
  return plan.failAt ?? plan.durationMs;
}

export interface CrawlRecord {
  id: string;
  org: string;
  host: string;
  seq: number;
  createdAt: number;
  plan: Plan;
  cancelledAt?: number;
}

export interface CrawlState {
  status: CrawlStatus;
  /** Ended by a DELETE (status is then 'failed'; the view spells it as the readings say). */
  cancelled: boolean;
  error: string | null;
  /** Offset from creation the crawl has reached (frozen once it ends or stalls). */
  reached: number;
  stopAt: number | null;
  steps: { name: string; status: StepStatus }[];
  progress: { collections_found: number; listings_found: number };
}

function ease(f: number): number {
  return 1 - (1 - f) * (1 - f);
}

function countsAt(plan: Plan, t: number): { collections_found: number; listings_found: number } {
  const [end0, end1, end2, end3] = plan.stepEnds;
  const frac = (start: number, end: number) =>
    end <= start ? 1 : Math.min(1, Math.max(0, (t - start) / (end - start)));
  const c = plan.collectionsTotal;
  const l = plan.listingsTotal;
  const collections = 0.9 * c * ease(frac(end0, end1)) + 0.1 * c * frac(end1, end2);
  const listings = 0.08 * l * frac(end1, end2) + 0.92 * l * frac(end2, end3);
  return {
    collections_found: Math.min(c, Math.floor(collections + 1e-9)),
    listings_found: Math.min(l, Math.floor(listings + 1e-9)),
  };
}

export function crawlState(crawl: CrawlRecord, now: number): CrawlState {
  const { plan } = crawl;
  const elapsed = Math.max(0, now - crawl.createdAt);
  let status: CrawlStatus;
  let error: string | null = null;
  let reached = elapsed;
  let stopAt: number | null = null;
  if (crawl.cancelledAt !== undefined) {
    status = 'failed';
    error = CANCELLED_ERROR;
    reached = crawl.cancelledAt - crawl.createdAt;
    stopAt = crawl.cancelledAt;
  } else if (plan.failAt !== undefined && elapsed >= plan.failAt) {
    status = 'failed';
    error = plan.error ?? 'Crawl failed';
    reached = plan.failAt;
    stopAt = crawl.createdAt + plan.failAt;
  } else if (elapsed >= plan.durationMs) {
    status = 'completed';
    reached = plan.durationMs;
    stopAt = crawl.createdAt + plan.durationMs;
  } else {
    status = elapsed < plan.pendingMs ? 'pending' : 'running';
    if (plan.stallAt !== undefined) reached = Math.min(elapsed, plan.stallAt);
  }
  const current = reached < plan.pendingMs ? -1 : plan.stepEnds.findIndex((end) => reached < end);
  const steps = STEP_NAMES.map((name, i) => {
    let stepStatus: StepStatus = 'pending';
    if (status === 'completed' || (current !== -1 && i < current)) stepStatus = 'completed';
    else if (i === current) stepStatus = status === 'failed' ? 'failed' : 'running';
    return { name, status: stepStatus };
  });
  const progress =
    status === 'completed'
      ? { collections_found: plan.collectionsTotal, listings_found: plan.listingsTotal }
      : countsAt(plan, reached);
  return { status, error, cancelled: crawl.cancelledAt !== undefined, reached, stopAt, steps, progress };
}

export function isActive(status: CrawlStatus): boolean {
  return status === 'pending' || status === 'running';
}

/** start_date, stop_date and duration_ms as the view shows them (simulated epoch ms; null where the view has null). */
export function datesOf(
  crawl: CrawlRecord,
  state: CrawlState,
  now: number,
  nullDates: boolean,
): { start: number | null; stop: number | null; durationMs: number | null } {
  if (!nullDates) {
    return {
      start: crawl.createdAt,
      stop: state.stopAt,
      durationMs: Math.round((state.stopAt ?? now) - crawl.createdAt),
    };
  }
  // In this reading a crawl gets its start date when it starts running.
  if (state.status === 'pending') return { start: null, stop: null, durationMs: null };
  const start = crawl.createdAt + crawl.plan.pendingMs;
  return { start, stop: state.stopAt, durationMs: Math.round((state.stopAt ?? now) - start) };
}

export type CancelResult = 'cancelled' | 'pending' | 'finished';

/** In-memory crawls of every organisation. */
export class CrawlStore {
  private readonly crawls = new Map<string, CrawlRecord>();
  private seq = 0;

  constructor(
    private readonly clock: Clock,
    private readonly seed: string | number,
    private readonly readings: Readings = DEFAULT_READINGS,
  ) {}

  plan(host: string): Plan {
    return makePlan(this.seed, host);
  }

  /** The readings that apply to a crawl: its scenario host's, else the emulator's. */
  readingsOf(crawl: CrawlRecord): Readings {
    return { ...this.readings, ...crawl.plan.readings };
  }

  /** Starts a crawl, or returns the active crawl of that host in that organisation. */
  start(org: string, host: string): { crawl: CrawlRecord; created: boolean } {
    const now = this.clock.now();
    for (const crawl of this.crawls.values()) {
      if (crawl.org === org && crawl.host === host && isActive(crawlState(crawl, now).status)) {
        return { crawl, created: false };
      }
    }
    const seq = ++this.seq;
    let id: string;
    let attempt = 0;
    do {
      const hex = createHash('sha256')
        .update(`${this.seed}\u0000${org}\u0000${host}\u0000${seq}\u0000${attempt++}`)
        .digest('hex')
        .slice(0, 8);
      id = `crawl-${host.replace(/[^a-z0-9]+/g, '-')}-${hex}`;
    } while (this.crawls.has(id));
    const crawl: CrawlRecord = { id, org, host, seq, createdAt: now, plan: this.plan(host) };
    this.crawls.set(id, crawl);
    return { crawl, created: true };
  }

  get(org: string, id: string): CrawlRecord | undefined {
    const crawl = this.crawls.get(id);
    return crawl && crawl.org === org ? crawl : undefined;
  }

  /** Cancels a running crawl. As documented, only a running crawl can be cancelled: a pending one is refused too. */
  cancel(crawl: CrawlRecord): CancelResult {
    const now = this.clock.now();
    const { status } = crawlState(crawl, now);
    if (status === 'pending') return 'pending';
    if (status !== 'running') return 'finished';
    crawl.cancelledAt = now;
    return 'cancelled';
  }

  /** The status word the API shows for a crawl (the cancelled spelling as the readings say). */
  statusWord(crawl: CrawlRecord, state: CrawlState): string {
    return state.cancelled ? this.readingsOf(crawl).cancelledStatus : state.status;
  }

  /** The organisation's crawls, newest first. */
  list(org: string): CrawlRecord[] {
    return [...this.crawls.values()]
      .filter((crawl) => crawl.org === org)
      .sort((a, b) => b.createdAt - a.createdAt || b.seq - a.seq);
  }

  /** The GET /v2/crawl list item of a crawl. */
  listItem(crawl: CrawlRecord, state: CrawlState): Record<string, unknown> {
    const active = isActive(state.status) && this.readingsOf(crawl).listActiveStatus === 'processing';
    return {
      execution_id: crawl.id,
      status: active ? 'processing' : this.statusWord(crawl, state),
      created_at: new Date(crawl.createdAt).toISOString(),
    };
  }

  /**
   * The latest completed crawl of each host, across organisations (the results endpoints show a shared
   * index), with the dates its view shows.
   */
  completedByHost(): Map<string, { crawl: CrawlRecord; start: number; stop: number }> {
    const now = this.clock.now();
    const found = new Map<string, { crawl: CrawlRecord; start: number; stop: number }>();
    for (const crawl of this.crawls.values()) {
      const state = crawlState(crawl, now);
      if (state.status !== 'completed') continue;
      const dates = datesOf(crawl, state, now, this.readingsOf(crawl).pendingNullDates);
      const known = found.get(crawl.host);
      if (!known || dates.stop! > known.stop) {
        found.set(crawl.host, { crawl, start: dates.start!, stop: dates.stop! });
      }
    }
    return found;
  }

  /** The GET /v2/crawl/{id} body. */
  view(crawl: CrawlRecord): Record<string, unknown> {
    const now = this.clock.now();
    const state = crawlState(crawl, now);
    const readings = this.readingsOf(crawl);
    const dates = datesOf(crawl, state, now, readings.pendingNullDates);
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    const meta: Record<string, unknown> = {
      vendor: crawl.host,
      start_date: iso(dates.start),
      stop_date: iso(dates.stop),
      duration_ms: dates.durationMs,
    };
    const completed = state.status === 'completed';
    // In the older totals reading, progress is "only while running" as documented, so a client must
    // read the totals where they are.
    const progressKept = !completed || readings.totals === 'meta.result';
    if (state.status !== 'pending' && !crawl.plan.hideProgress && progressKept)
      meta.progress = state.progress;
    meta.steps = state.steps;
    const body: Record<string, unknown> = {
      execution_id: crawl.id,
      status: this.statusWord(crawl, state),
      error: state.error,
      meta,
    };
    if (completed) {
      const { collectionsTotal, listingsTotal } = crawl.plan;
      if (readings.totals === 'meta.result') {
        meta.result = { collections_total: collectionsTotal, listings_total: listingsTotal };
      } else {
        const target = readings.totals === 'total_listings_found' ? body : meta;
        target.total_collections_found = collectionsTotal;
        target.total_listings_found = listingsTotal;
      }
    }
    return body;
  }
}
