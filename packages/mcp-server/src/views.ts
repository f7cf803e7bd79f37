import {
  type CatalogClient,
  CatalogError,
  type Crawl,
  currentStep,
  isTerminalStatus,
  MIN_POLL_INTERVAL_MS,
  nextPollDelayMs,
  RateLimitError,
  WAIT_DEFAULTS,
} from '@catalog-crawl/core';

/**
 * One view per crawl, shared by every tool call, session and resource subscription of the process.
 *
 * Agents call tools in loops, and many agents may follow one crawl. Whoever asks, a crawl is read at most once
 * per `minIntervalMs` (the API's documented 10 s minimum) and never before a Retry-After the API sent; a caller
 * inside that interval gets the last snapshot and its age. While anyone waits or is subscribed, the view polls
 * on the core's phase-aware 10-30 s schedule, and pulls a poll forward to just before a waiter's deadline when
 * that is allowed, so that a wait returns at its deadline with the freshest answer the cadence permits.
 */

export interface PollSettings {
  /** No crawl is read more often than this, whoever asks. Default 10_000 (the API's documented minimum). */
  minIntervalMs: number;
  /** Slowest poll while someone waits. Default 30_000. */
  maxIntervalMs: number;
  /** A running crawl whose status, steps and counts have not changed for this long is reported stalled. Default 15 min. */
  stallAfterMs: number;
  /** Views nobody used for this long are dropped (and their stall clock with them). Default 30 min. */
  idleMs: number;
}

export const DEFAULT_POLL_SETTINGS: PollSettings = {
  minIntervalMs: WAIT_DEFAULTS.minIntervalMs,
  maxIntervalMs: WAIT_DEFAULTS.maxIntervalMs,
  stallAfterMs: 15 * 60_000,
  idleMs: 30 * 60_000,
};

export function pollSettings(overrides: Partial<PollSettings> = {}): PollSettings {
  const minIntervalMs = Math.max(
    overrides.minIntervalMs ?? DEFAULT_POLL_SETTINGS.minIntervalMs,
    MIN_POLL_INTERVAL_MS,
  );
  return {
    minIntervalMs,
    maxIntervalMs: Math.max(overrides.maxIntervalMs ?? DEFAULT_POLL_SETTINGS.maxIntervalMs, minIntervalMs),
    stallAfterMs: Math.max(overrides.stallAfterMs ?? DEFAULT_POLL_SETTINGS.stallAfterMs, 1_000),
    idleMs: Math.max(overrides.idleMs ?? DEFAULT_POLL_SETTINGS.idleMs, 60_000),
  };
}

/** What a caller learns from a view. Times are epoch ms. */
export interface Snapshot {
  crawl: Crawl | undefined;
  /** When `crawl` was read. */
  observedAt: number | undefined;
  /** Since when status, steps and counts have been what they are (as far as this server has seen). */
  unchangedSince: number | undefined;
  /** The last poll's failure, when it came after the last success. */
  error: unknown;
  errorAt: number | undefined;
  /** Running, and unchanged for at least stallAfterMs. */
  stalled: boolean;
  /** Earliest time the API may be asked again (interval and Retry-After). */
  nextPollAt: number;
}

export interface ViewListener {
  /** The listener's own deadline: a poll is pulled forward to just before it when the interval allows. */
  deadline?: number;
  /** After every poll (success or failure). `changed`: status, steps or counts differ from before. */
  update(changed: boolean): void;
}

function fingerprint(crawl: Crawl): string {
  return JSON.stringify([crawl.status, crawl.steps, crawl.progress, crawl.result, crawl.error]);
}

/** Where a crawl is in its last step (for the core's schedule): only known once the last step is seen. */
function isLastStep(crawl: Crawl): boolean {
  const current = currentStep(crawl);
  return current !== undefined && current.index === crawl.steps.length - 1 && crawl.status === 'running';
}

export class CrawlView {
  crawl: Crawl | undefined;
  observedAt: number | undefined;
  private changedAt: number | undefined;
  private firstSeenAt: number | undefined;
  private print: string | undefined;
  error: unknown;
  errorAt: number | undefined;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private notBefore = 0;
  private nextDelayMs = 0;
  private latencyMs = 200;
  private lastStepSeenAt: number | undefined;
  private earlierStepsMs: number | undefined;
  private inflight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<ViewListener>();
  lastUsedAt: number;
  /** API requests this view made (tests and diagnostics). */
  polls = 0;

  constructor(
    readonly client: CatalogClient,
    readonly executionId: string,
    private readonly settings: PollSettings,
    private readonly signal: AbortSignal,
    private readonly now: () => number,
  ) {
    this.lastUsedAt = now();
  }

  get watched(): boolean {
    return this.listeners.size > 0;
  }

  get finished(): boolean {
    return this.crawl !== undefined && isTerminalStatus(this.crawl.status);
  }

  snapshot(): Snapshot {
    const t = this.now();
    this.lastUsedAt = t;
    const stalled =
      this.crawl !== undefined &&
      !this.finished &&
      this.changedAt !== undefined &&
      t - this.changedAt >= this.settings.stallAfterMs;
    const failedLast =
      this.errorAt !== undefined && (this.observedAt === undefined || this.errorAt > this.observedAt);
    return {
      crawl: this.crawl,
      observedAt: this.observedAt,
      unchangedSince: this.changedAt,
      error: failedLast ? this.error : undefined,
      errorAt: failedLast ? this.errorAt : undefined,
      stalled,
      nextPollAt: this.nextAllowedAt(),
    };
  }

  /** How long this server has been watching the crawl (for "no change seen for ..."). */
  get watchingSince(): number | undefined {
    return this.firstSeenAt;
  }

  nextAllowedAt(): number {
    return Math.max(this.lastAttemptAt + this.settings.minIntervalMs, this.notBefore);
  }

  /**
   * Brings the view up to date if the interval allows: joins a poll in flight, or polls when the last one is
   * at least minIntervalMs old. Otherwise resolves at once: the caller answers from the snapshot and its age.
   * Never rejects; failures are in the snapshot.
   */
  async refresh(): Promise<Snapshot> {
    this.lastUsedAt = this.now();
    if (!this.finished) {
      if (this.inflight) await this.inflight;
      else if (this.now() >= this.nextAllowedAt()) await this.poll();
    }
    return this.snapshot();
  }

  /** After our own DELETE the status has certainly changed: the next refresh may read it at once. */
  expire(): void {
    this.lastAttemptAt = Number.NEGATIVE_INFINITY;
  }

  /** Keeps the view polling on the schedule until the returned function is called. */
  watch(listener: ViewListener): () => void {
    this.listeners.add(listener);
    this.lastUsedAt = this.now();
    this.schedule();
    return () => {
      this.listeners.delete(listener);
      this.lastUsedAt = this.now();
      this.schedule();
    };
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }

  private poll(): Promise<void> {
    if (this.inflight) return this.inflight;
    const started = this.now();
    this.lastAttemptAt = started;
    this.polls++;
    // A poll (with the client's retries) gets at most the API's 10 s minimum interval, or the interval if
    // longer: a Retry-After beyond it is not slept through but answered (and honoured by nextAllowedAt).
    // Polls never overlap: a second caller joins the one in flight.
    const deadline = started + Math.max(this.settings.minIntervalMs, WAIT_DEFAULTS.minIntervalMs);
    this.inflight = this.client
      .getCrawl(this.executionId, { signal: this.signal, deadline })
      .then(
        (crawl) => {
          this.latencyMs = Math.max(50, this.now() - started);
          this.observe(crawl);
        },
        (error: unknown) => {
          this.error = error;
          this.errorAt = this.now();
          if (error instanceof RateLimitError && error.retryAfterMs !== undefined) {
            this.notBefore = Math.max(this.notBefore, started + error.retryAfterMs);
          }
          this.nextDelayMs = this.settings.minIntervalMs;
          this.emit(false);
        },
      )
      .finally(() => {
        this.inflight = undefined;
        this.schedule();
      });
    return this.inflight;
  }

  private observe(crawl: Crawl): void {
    const t = this.now();
    const print = fingerprint(crawl);
    const changed = print !== this.print;
    const previous = this.crawl;
    this.crawl = crawl;
    this.observedAt = t;
    this.firstSeenAt ??= t;
    if (changed) {
      this.print = print;
      this.changedAt = t;
    }
    if (this.lastStepSeenAt === undefined && isLastStep(crawl)) {
      this.lastStepSeenAt = t;
      if (previous && !isLastStep(previous)) this.earlierStepsMs = crawl.durationMs ?? undefined;
    }
    this.nextDelayMs = nextPollDelayMs(crawl, {
      minIntervalMs: this.settings.minIntervalMs,
      maxIntervalMs: this.settings.maxIntervalMs,
      random: Math.random,
      ...(this.lastStepSeenAt !== undefined ? { lastStepRunningMs: t - this.lastStepSeenAt } : {}),
      ...(this.earlierStepsMs !== undefined ? { earlierStepsMs: this.earlierStepsMs } : {}),
    });
    this.emit(changed);
  }

  private emit(changed: boolean): void {
    for (const listener of [...this.listeners]) listener.update(changed);
  }

  /** Sets the one timer of this view: the next regular poll, or earlier for a waiter's deadline. */
  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.listeners.size === 0 || this.finished || this.inflight || this.signal.aborted) return;
    const t = this.now();
    const allowed = this.nextAllowedAt();
    let due = Math.max(this.lastAttemptAt + this.nextDelayMs, allowed);
    // A wait returns at its deadline: poll just before it when the interval allows, so its answer is fresh.
    const reserve = Math.min(3_000, this.latencyMs * 2 + 100);
    for (const listener of this.listeners) {
      if (listener.deadline === undefined) continue;
      const candidate = listener.deadline - reserve;
      if (candidate >= allowed && candidate < due) due = candidate;
    }
    this.timer = setTimeout(() => void this.poll(), Math.max(0, due - t));
    this.timer.unref();
  }
}

/** The registry of views: one per (client, execution id), so one per API key and crawl. */
export class CrawlViews {
  readonly settings: PollSettings;
  private readonly byClient = new WeakMap<CatalogClient, Map<string, CrawlView>>();
  private readonly all = new Set<CrawlView>();
  private readonly controller = new AbortController();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    settings: Partial<PollSettings> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.settings = pollSettings(settings);
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  get(client: CatalogClient, executionId: string): CrawlView {
    let views = this.byClient.get(client);
    if (!views) {
      views = new Map();
      this.byClient.set(client, views);
    }
    let view = views.get(executionId);
    if (!view) {
      view = new CrawlView(client, executionId, this.settings, this.controller.signal, this.now);
      views.set(executionId, view);
      this.all.add(view);
    }
    return view;
  }

  /** Views in use: tests and diagnostics. */
  get size(): number {
    return this.all.size;
  }

  /** Drops views nobody watches or asked about for idleMs (finished ones after a tenth of it). */
  sweep(): void {
    const t = this.now();
    for (const view of this.all) {
      const idle = view.finished ? this.settings.idleMs / 10 : this.settings.idleMs;
      if (view.watched || t - view.lastUsedAt < idle) continue;
      view.close();
      this.all.delete(view);
      this.byClient.get(view.client)?.delete(view.executionId);
    }
  }

  close(): void {
    clearInterval(this.sweeper);
    this.controller.abort();
    for (const view of this.all) view.close();
    this.all.clear();
  }
}

/** True when a failure will not go away by asking again (key, id, input): a wait stops on it. */
export function isPermanent(error: unknown): boolean {
  return !(error instanceof CatalogError) || !error.retryable;
}
