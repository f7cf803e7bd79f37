// Turning successive snapshots of a crawl into events and the history a summary needs.
import { isKnownStatus, isTerminalStatus } from './crawl.js';
import { phase } from './schedule.js';
import type { Crawl, CrawlProgress, WaitEvent, WaitHistory } from './types.js';

const KNOWN_STEP_STATUSES = new Set(['pending', 'running', 'completed', 'failed']);

/** Where the observer's events go, and the fields every event carries. */
export interface Reporter {
  emit(event: WaitEvent): void;
  base(): Omit<Extract<WaitEvent, { type: 'heartbeat' }>, 'type'>;
}

function sameProgress(a: CrawlProgress | undefined, b: CrawlProgress | undefined): boolean {
  return a?.collectionsFound === b?.collectionsFound && a?.listingsFound === b?.listingsFound;
}

/** Diffs each snapshot against the previous one; emits only what changed; keeps the history. */
export class Observer {
  crawl: Crawl | undefined;
  readonly history: WaitHistory;
  /** When status, steps or counts last changed (waiter clock). */
  lastChangeAt: number;
  /** When the last step was first seen running, and how long the crawl ran before it (for the schedule). */
  lastStepSeenAt: number | undefined;
  earlierStepsMs: number | undefined;
  #progress: CrawlProgress | undefined;
  /** Created on the first warning: most waits never warn, and thousands of them may run at once. */
  #warned: Set<string> | undefined;

  constructor(
    private readonly executionId: string,
    startedAt: number,
    private readonly reporter: Reporter,
  ) {
    this.history = { startedAt, steps: [], polls: 0, transientErrors: 0 };
    this.lastChangeAt = startedAt;
  }

  warn(kind: Extract<WaitEvent, { type: 'warning' }>['kind'], message: string, error?: Error): void {
    const event: WaitEvent = { ...this.reporter.base(), type: 'warning', kind, message };
    if (error) event.error = error;
    this.reporter.emit(event);
  }

  /** Warns once per distinct key. */
  #warnOnce(key: string, kind: 'unknown_status' | 'unknown_step_status', message: string): void {
    this.#warned ??= new Set();
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.warn(kind, message);
  }

  /** Records a successful poll at time `t`; emits what changed. */
  observe(next: Crawl, t: number): void {
    const previous = this.crawl;
    this.crawl = next;
    const history = this.history;
    history.polls++;
    if (this.lastStepSeenAt === undefined && phase(next) === 1 && !isTerminalStatus(next.status)) {
      this.lastStepSeenAt = t;
      // Only a wait that saw an earlier step knows roughly when the last one started.
      if (previous && phase(previous) < 1) this.earlierStepsMs = next.durationMs ?? t - history.startedAt;
    }
    let changed = false;
    if (previous?.status !== next.status) {
      changed = true;
      this.reporter.emit({
        ...this.reporter.base(),
        type: 'status',
        previous: previous?.status,
        status: next.status,
      });
      if (!isKnownStatus(next.status)) {
        this.#warnOnce(
          `status:${next.status}`,
          'unknown_status',
          `Crawl ${this.executionId} reports an unknown status ${JSON.stringify(next.status)}; treating it as not finished`,
        );
      }
    }
    next.steps.forEach((step, index) => {
      let seen = history.steps.find((h) => h.name === step.name);
      if (!seen) {
        seen = { name: step.name, status: step.status };
        history.steps.push(seen);
        changed = true;
      } else if (seen.status !== step.status) {
        changed = true;
      }
      seen.status = step.status;
      const done = step.status === 'completed' || step.status === 'failed';
      if ((step.status === 'running' || done) && seen.startedAt === undefined) {
        seen.startedAt = t;
        this.reporter.emit({ ...this.reporter.base(), type: 'step_started', step: step.name, index });
      }
      if (done && seen.finishedAt === undefined) {
        seen.finishedAt = t;
        this.reporter.emit({
          ...this.reporter.base(),
          type: 'step_finished',
          step: step.name,
          index,
          status: step.status,
        });
      }
      if (!KNOWN_STEP_STATUSES.has(step.status)) {
        this.#warnOnce(
          `step:${step.status}`,
          'unknown_step_status',
          `Step ${JSON.stringify(step.name)} reports an unknown status ${JSON.stringify(step.status)}`,
        );
      }
    });
    if (next.progress && !sameProgress(next.progress, this.#progress)) {
      changed = true;
      const before = this.#progress ? { ...this.#progress } : undefined;
      this.#progress = { ...next.progress };
      this.reporter.emit({
        ...this.reporter.base(),
        type: 'progress',
        progress: { ...next.progress },
        previous: before,
      });
    }
    if (changed) this.lastChangeAt = t;
  }
}
