import type { CatalogClient, Crawl, WaitEvent, WaitOptions, WaitResult } from '@catalog-crawl/core';
import {
  CatalogError,
  cancelWhenRunning,
  formatCount,
  formatDuration,
  waitForCrawl,
} from '@catalog-crawl/core';
import type { ActionInputs } from './inputs.js';
import { eventLine, finalLine, HEARTBEAT_MS, headerLines, WarningCollapser } from './log.js';
import {
  type ActionReport,
  isAbortedError,
  reportFromAbort,
  reportFromResult,
  toReportError,
  vendorFromUrl,
} from './report.js';
import type { Toolkit } from './toolkit.js';

/** How long a cancel after a runner signal may try (within the runner's 7.5 s before SIGTERM). */
export const SIGNAL_CANCEL_BUDGET_MS = 5_000;

/** What every crawl of the step shares: one client (one rate limiter), one abort signal, one log. */
export interface StepContext {
  toolkit: Toolkit;
  inputs: ActionInputs;
  client: CatalogClient;
  /** Aborted by the first runner signal. */
  signal: AbortSignal;
  /** The runner signal received, if any. */
  interruptedBy: () => string | undefined;
  /** True when the step waits for more than one crawl: log lines then name their crawl. */
  many: boolean;
  /** Called when this crawl's id becomes known, and when it ends cleanly (state for the post step). */
  onStateChange: () => void;
  waitOverrides?: Partial<WaitOptions>;
  env: Record<string, string | undefined>;
  startedAt: number;
}

/**
 * One crawl of the step: starts it (url) or takes its id, waits, and always ends with a report. Keeps what
 * is known so far, so that a forced exit can report it.
 */
export class CrawlRun {
  readonly label: string;
  readonly url: string | undefined;
  executionId: string | undefined;
  vendor: string | undefined;
  lastCrawl: Crawl | undefined;
  startRetries = 0;
  report: ActionReport | undefined;
  /** The wait ended in a way that needs no clean-up from the post step. */
  clean = false;
  private headerPrinted = false;
  private readonly warnings = new WarningCollapser();
  private lastDebugged: unknown;

  constructor(
    private readonly ctx: StepContext,
    target: { url: string } | { executionId: string },
  ) {
    if ('url' in target) {
      this.url = target.url;
      this.label = vendorFromUrl(target.url) ?? target.url;
    } else {
      this.url = undefined;
      this.executionId = target.executionId;
      this.label = target.executionId;
    }
  }

  /** Log methods that name the crawl when the step waits for several. */
  log(level: 'info' | 'warning' | 'error' | 'debug', text: string): void {
    this.ctx.toolkit[level](this.ctx.many ? `[${this.label}] ${text}` : text);
  }

  printHeader(): void {
    if (this.headerPrinted || !this.executionId) return;
    this.headerPrinted = true;
    const name = this.lastCrawl?.vendor ?? this.vendor ?? this.url;
    for (const line of headerLines(this.executionId, name, this.ctx.inputs.baseUrl)) this.log('info', line);
  }

  private base(): ActionReport {
    const report: ActionReport = {
      outcome: 'error',
      elapsedMs: Date.now() - this.ctx.startedAt,
      retries: this.warnings.count,
      timeoutMs: this.ctx.inputs.timeoutMs,
      cancelWaitMs: this.ctx.inputs.cancelWaitMs,
      label: this.label,
      startRetries: this.startRetries,
    };
    if (this.url !== undefined) report.url = this.url;
    if (this.executionId !== undefined) report.executionId = this.executionId;
    if (this.vendor !== undefined) report.vendor = this.vendor;
    if (this.ctx.inputs.stallTimeoutMs !== undefined) report.stallTimeoutMs = this.ctx.inputs.stallTimeoutMs;
    if (this.lastCrawl) report.crawl = this.lastCrawl;
    return report;
  }

  /** What is known now, for a forced exit: the crawl is reported as interrupted (the post step cleans up). */
  interimReport(signal: string): ActionReport {
    if (this.report) return this.report;
    const report: ActionReport = { ...this.base(), outcome: 'canceled', signal };
    if (!this.ctx.inputs.cancelOnAbort) report.cancel = { outcome: 'skipped' };
    return report;
  }

  private finalPrinted = false;

  /** The crawl's last log line, printed once: when it ends, or at a forced exit with what is known. */
  printFinal(report: ActionReport): void {
    if (this.finalPrinted) return;
    this.finalPrinted = true;
    this.printHeader();
    this.log('info', finalLine(report));
  }

  private finish(report: ActionReport, clean: boolean): ActionReport {
    this.report = report;
    this.clean = clean;
    if (clean) this.ctx.onStateChange();
    this.printFinal(report);
    return report;
  }

  /** Starts (when given a url) and waits. Never throws: every ending is a report. */
  async run(): Promise<ActionReport> {
    const { inputs, client, toolkit } = this.ctx;
    let startedStatus: string | undefined;
    try {
      if (this.url !== undefined) {
        // With cancel-on-abort, a signal must not abort the POST: the server may create the crawl anyway, and
        // only its id lets the wait below send the DELETE (the grace timer still bounds how long this takes).
        const started = await client.startCrawl(
          { url: this.url },
          {
            ...(inputs.cancelOnAbort && inputs.wait ? {} : { signal: this.ctx.signal }),
            onRetry: (info) => {
              this.startRetries += 1;
              this.log(
                'info',
                `POST /v2/crawl: retry ${info.attempt} in ${formatDuration(info.delayMs)} after: ${info.error.message}`,
              );
            },
          },
        );
        this.executionId = started.executionId;
        startedStatus = started.status;
        // The POST documents no vendor; take one only if the API sent it.
        const meta = (started.raw as { meta?: { vendor?: unknown } } | null)?.meta;
        if (typeof meta?.vendor === 'string' && meta.vendor !== '') this.vendor = meta.vendor;
        this.ctx.onStateChange();
        if (toolkit.isDebug()) this.log('debug', `POST /v2/crawl -> ${JSON.stringify(started.raw)}`);
      } else {
        this.ctx.onStateChange();
      }
    } catch (error) {
      const signal = this.ctx.interruptedBy();
      const report: ActionReport = {
        ...this.base(),
        outcome: signal ? 'canceled' : 'error',
        error: toReportError(error),
      };
      if (signal) report.signal = signal;
      return this.finish(report, true);
    }

    if (!inputs.wait) {
      this.printHeader();
      const report: ActionReport = { ...this.base(), outcome: 'started' };
      if (startedStatus) report.status = startedStatus;
      return this.finish(report, true);
    }
    return this.wait();
  }

  private onEvent = (event: WaitEvent): void => {
    if (event.crawl) {
      this.lastCrawl = event.crawl;
      if (event.crawl.vendor) this.vendor = event.crawl.vendor;
      this.printHeader();
      if (event.crawl.raw !== this.lastDebugged && this.ctx.toolkit.isDebug()) {
        this.lastDebugged = event.crawl.raw;
        this.log('debug', `GET /v2/crawl/${event.executionId} -> ${JSON.stringify(event.crawl.raw)}`);
      }
    }
    if (event.type === 'warning') {
      for (const action of this.warnings.handle(event)) this.log(action.level, action.text);
      return;
    }
    const line = eventLine(event);
    if (line) this.log('info', line);
  };

  private async wait(): Promise<ActionReport> {
    const { inputs, client } = this.ctx;
    const executionId = this.executionId!;
    const options: WaitOptions = {
      signal: this.ctx.signal,
      timeoutMs: inputs.timeoutMs,
      minIntervalMs: inputs.minIntervalMs,
      maxIntervalMs: inputs.maxIntervalMs,
      cancelOnAbort: inputs.cancelOnAbort,
      cancelOnTimeout: inputs.cancelOnTimeout,
      cancelOnStall: inputs.cancelOnStall,
      // A cancel after a signal must fit in the runner's budget (SIGTERM 7.5 s after SIGINT, our forced exit
      // at SIGNAL_GRACE_MS); a crawl still pending then is left to the post step and cancel-wait.
      cancelWaitMs: SIGNAL_CANCEL_BUDGET_MS,
      heartbeatMs: HEARTBEAT_MS,
      notFoundGraceMs: this.url !== undefined ? 30_000 : 0,
      onEvent: this.onEvent,
      ...this.ctx.waitOverrides,
    };
    if (inputs.stallTimeoutMs !== undefined) options.stallTimeoutMs = inputs.stallTimeoutMs;
    try {
      const result = await waitForCrawl(client, executionId, options);
      if (result.cancel?.outcome === 'not_running_yet') await this.cancelWhenStarted(result);
      const base = this.base();
      const report = this.finish({ ...reportFromResult(result, base), ...this.extras() }, true);
      if (report.outcome === 'completed' && inputs.results !== 'none') await this.saveResults(report);
      return report;
    } catch (error) {
      const signal = this.ctx.interruptedBy();
      if (isAbortedError(error) || signal !== undefined) {
        const base = { ...this.base(), executionId, cancelOnAbort: inputs.cancelOnAbort };
        const report: ActionReport = isAbortedError(error)
          ? { ...reportFromAbort(error, signal ? { ...base, signal } : base), ...this.extras() }
          : { ...this.base(), outcome: 'canceled', executionId, error: toReportError(error) };
        if (signal) report.signal = signal;
        if (!report.crawl && this.lastCrawl) report.crawl = this.lastCrawl;
        const clean =
          !inputs.cancelOnAbort || ['canceled', 'already_finished'].includes(report.cancel?.outcome ?? '');
        return this.finish(report, clean);
      }
      const report: ActionReport = { ...this.base(), outcome: 'error', error: toReportError(error) };
      const context = error as { crawl?: Crawl; history?: ActionReport['history'] };
      if (context.crawl) report.crawl = context.crawl;
      if (context.history) report.history = context.history;
      return this.finish(report, true);
    }
  }

  /**
   * cancel-on-timeout / cancel-on-stall found the crawl still pending (the waiter tries only briefly): no
   * runner budget applies here, so keep trying for cancel-wait, as the post step would.
   */
  private async cancelWhenStarted(result: WaitResult): Promise<void> {
    const { inputs, client, signal } = this.ctx;
    this.log(
      'info',
      `The crawl has not started yet; trying to cancel it for up to ${formatDuration(inputs.cancelWaitMs)} (cancel-wait).`,
    );
    try {
      const done = await cancelWhenRunning(client, result.executionId, {
        signal,
        timeoutMs: inputs.cancelWaitMs,
        minIntervalMs: inputs.minIntervalMs,
        maxIntervalMs: inputs.maxIntervalMs,
      });
      result.cancel = done.cancel;
    } catch (error) {
      if (error instanceof CatalogError) result.cancelError = error;
      else throw error;
    }
  }

  /** Saves the crawl's results as the inputs ask; a failure is recorded on the report, not thrown. */
  private async saveResults(report: ActionReport): Promise<void> {
    const { inputs, client } = this.ctx;
    if (inputs.results === 'none') return;
    const { resultsDirectory, saveCrawlResults } = await import('./results.js');
    const directory = resultsDirectory(inputs.resultsPath, this.ctx.env);
    try {
      report.results = await saveCrawlResults(client, report.executionId!, inputs.results, {
        directory,
        format: inputs.resultsFormat,
        signal: this.ctx.signal,
      });
      for (const file of report.results.files) {
        const total =
          file.total !== undefined && file.total !== file.count
            ? ` (the API counts ${formatCount(file.total)})`
            : '';
        this.log('info', `Saved ${formatCount(file.count)} ${file.kind} to ${file.path}${total}`);
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      report.results = { directory, files: [], sample: [], error: message };
      this.log('warning', `Could not save the results: ${message}`);
    }
  }

  /** Fields reportFromResult / reportFromAbort do not know of. */
  private extras(): Pick<ActionReport, 'label' | 'startRetries' | 'url'> {
    const out: Pick<ActionReport, 'label' | 'startRetries' | 'url'> = {
      label: this.label,
      startRetries: this.startRetries,
    };
    if (this.url !== undefined) out.url = this.url;
    return out;
  }
}
