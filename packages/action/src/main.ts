import {
  CatalogClient,
  type Crawl,
  InvalidInputError,
  NOT_FOUND_GRACE_MS,
  type WaitEvent,
  type WaitOptions,
  waitForCrawl,
} from '@catalog-crawl/core';
import { commentOnPullRequest } from './comment.js';
import { type ActionInputs, INPUT_DEFAULTS, parseBoolean, parseInputs } from './inputs.js';
import { eventLine, finalLine, HEARTBEAT_MS, headerLines, WarningCollapser } from './log.js';
import { buildOutputs, OUTPUT_NAMES } from './outputs.js';
import {
  type ActionReport,
  isAbortedError,
  outcomeMessage,
  reportFromAbort,
  reportFromResult,
  toReportError,
  vendorFromUrl,
} from './report.js';
import { buildSummary } from './summary.js';
import { actionsToolkit, redactingToolkit, type Toolkit } from './toolkit.js';

/** Names used with saveState / getState (the post step reads them as STATE_<name>). */
export const STATE = {
  isPost: 'isPost',
  executionId: 'executionId',
  finishedCleanly: 'finishedCleanly',
} as const;

/**
 * The runner sends SIGINT, then SIGTERM 7.5 s later, then kills. After the first signal the waiter stops and
 * sends the DELETE; if everything is not written after this long, outputs and summary are written with what
 * is known and the process exits (the post step then retries the DELETE).
 */
export const SIGNAL_GRACE_MS = 6_000;

const USER_AGENT = 'catalog-crawl-action/0.1.0';

export interface RunOptions {
  toolkit?: Toolkit;
  env?: Record<string, string | undefined>;
  fetch?: typeof fetch;
  /** Subscribes to the runner's signals; returns an unsubscribe function. Default: process SIGINT/SIGTERM. */
  onSignal?: (handler: (signal: string) => void) => () => void;
  /** Called when the process must end at once (after a second signal or the grace period). */
  exit?: (code: number) => void;
  signalGraceMs?: number;
  /** Injected into the waiter (tests). */
  waitOverrides?: Partial<WaitOptions>;
}

function processSignals(handler: (signal: string) => void): () => void {
  const listener = (signal: NodeJS.Signals) => handler(signal);
  process.on('SIGINT', listener);
  process.on('SIGTERM', listener);
  return () => {
    process.off('SIGINT', listener);
    process.off('SIGTERM', listener);
  };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Entry point of both phases: main, and post (detected through the state main saved, like actions/checkout). */
export async function run(options: RunOptions = {}): Promise<void> {
  const raw = options.toolkit ?? actionsToolkit();
  // Mask the key before anything else can print it.
  const apiKey = raw.getInput('api-key');
  const secrets: string[] = [];
  // Each line too: a key pasted with a second line must not leak through that line either.
  const lines = apiKey
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length >= 4);
  for (const value of [apiKey, apiKey.trim(), ...lines, raw.getInput('github-token').trim()]) {
    if (value !== '' && !secrets.includes(value)) {
      raw.setSecret(value);
      secrets.push(value);
    }
  }
  const toolkit = redactingToolkit(raw, () => secrets);
  try {
    if (toolkit.getState(STATE.isPost) === 'true') {
      await runPost(toolkit, options);
    } else {
      toolkit.saveState(STATE.isPost, 'true');
      await runMain(toolkit, options);
    }
  } catch (error) {
    // Last resort: runMain handles its own errors; this only catches bugs. Outputs are still all set.
    const message = `Unexpected error: ${errorText(error)}`;
    try {
      for (const name of OUTPUT_NAMES)
        toolkit.setOutput(
          name,
          name === 'outcome' ? 'error' : name === 'error' ? message : name === 'result' ? 'null' : '',
        );
    } catch {
      // nothing more can be done
    }
    toolkit.setFailed(message);
  }
}

async function runMain(toolkit: Toolkit, options: RunOptions): Promise<void> {
  const env = options.env ?? process.env;
  const startedAt = Date.now();
  let inputs: ActionInputs | undefined;
  let executionId: string | undefined;
  let vendor: string | undefined;
  let lastCrawl: Crawl | undefined;
  let signalName: string | undefined;
  let headerPrinted = false;
  let finalized = false;
  let graceTimer: NodeJS.Timeout | undefined;
  const warnings = new WarningCollapser();
  const controller = new AbortController();
  const exit = options.exit ?? ((code: number) => process.exit(code));

  const printHeader = (id: string, vendorName: string | undefined) => {
    if (headerPrinted || !inputs) return;
    headerPrinted = true;
    for (const line of headerLines(id, vendorName, inputs.baseUrl)) toolkit.info(line);
  };

  const baseReport = (): Pick<ActionReport, 'vendor' | 'timeoutMs' | 'stallTimeoutMs' | 'retries'> => {
    const base: Pick<ActionReport, 'vendor' | 'timeoutMs' | 'stallTimeoutMs' | 'retries'> = {
      retries: warnings.count,
    };
    if (vendor !== undefined) base.vendor = vendor;
    if (inputs) base.timeoutMs = inputs.timeoutMs;
    if (inputs?.stallTimeoutMs !== undefined) base.stallTimeoutMs = inputs.stallTimeoutMs;
    return base;
  };

  /** Writes outputs, state, log, summary, comment and the step's result; once. */
  const finalize = async (report: ActionReport, clean: boolean, interrupted = false): Promise<void> => {
    if (finalized) return;
    finalized = true;
    if (graceTimer) clearTimeout(graceTimer);
    for (const [name, value] of Object.entries(buildOutputs(report))) toolkit.setOutput(name, value);
    if (clean) toolkit.saveState(STATE.finishedCleanly, 'true');
    if (report.executionId && !headerPrinted)
      printHeader(report.executionId, report.crawl?.vendor ?? report.vendor);
    toolkit.info(finalLine(report));
    if (inputs?.summary ?? true) {
      try {
        await toolkit.writeSummary(buildSummary(report));
      } catch (error) {
        toolkit.warning(`Could not write the job summary: ${errorText(error)}`);
      }
    }
    if (inputs?.commentOnPr && !interrupted && report.executionId) {
      try {
        toolkit.info(await commentOnPullRequest(report, inputs.githubToken, env));
      } catch (error) {
        toolkit.warning(`comment-on-pr: could not write the pull request comment: ${errorText(error)}`);
      }
    }
    const failOn: readonly string[] = inputs?.failOn ?? [];
    if (report.outcome === 'error' || failOn.includes(report.outcome)) {
      toolkit.setFailed(outcomeMessage(report) || `The crawl ended with outcome ${report.outcome}.`);
    }
  };

  /** After a second signal or when the grace period ends: write what is known and exit. */
  const forceFinish = async (why: string) => {
    if (finalized) return;
    toolkit.warning(`${why}: writing outputs and exiting now.`);
    const report: ActionReport = {
      ...baseReport(),
      outcome: 'canceled',
      elapsedMs: Date.now() - startedAt,
      signal: signalName ?? 'signal',
    };
    if (executionId) report.executionId = executionId;
    if (lastCrawl) report.crawl = lastCrawl;
    if (inputs && !inputs.cancelOnAbort) report.cancel = { outcome: 'skipped' };
    await finalize(report, !inputs?.cancelOnAbort, true);
    exit(1);
  };

  const unsubscribe = (options.onSignal ?? processSignals)((signal) => {
    if (signalName === undefined) {
      signalName = signal;
      const cancelling = inputs?.cancelOnAbort && executionId ? ' and cancelling the crawl' : '';
      toolkit.info(`Received ${signal}: stopping the wait${cancelling}.`);
      controller.abort(new Error(`Interrupted by ${signal}`));
      graceTimer = setTimeout(
        () => void forceFinish('No answer in time after the interruption'),
        options.signalGraceMs ?? SIGNAL_GRACE_MS,
      );
    } else {
      void forceFinish(`Received ${signal} after ${signalName}`);
    }
  });

  try {
    try {
      inputs = parseInputs((name) => toolkit.getInput(name));
    } catch (error) {
      await finalize(
        { outcome: 'error', elapsedMs: Date.now() - startedAt, error: toReportError(error) },
        true,
      );
      return;
    }
    const clientOptions: ConstructorParameters<typeof CatalogClient>[0] = {
      apiKey: inputs.apiKey,
      baseUrl: inputs.baseUrl,
      userAgent: USER_AGENT,
    };
    if (options.fetch) clientOptions.fetch = options.fetch;
    let client: CatalogClient;
    try {
      client = new CatalogClient(clientOptions);
    } catch (error) {
      // parseInputs checks what the client checks; this only keeps any later rule an input error.
      await finalize(
        { outcome: 'error', elapsedMs: Date.now() - startedAt, error: toReportError(error) },
        true,
      );
      return;
    }

    let startedStatus: string | undefined;
    try {
      if (inputs.url !== undefined) {
        vendor = vendorFromUrl(inputs.url);
        // With cancel-on-abort, a signal must not abort the POST: the server may create the crawl anyway, and
        // only its id lets the wait below send the DELETE (the grace timer still bounds how long this takes).
        const started = await client.startCrawl(
          { url: inputs.url },
          inputs.cancelOnAbort && inputs.wait ? {} : { signal: controller.signal },
        );
        executionId = started.executionId;
        startedStatus = started.status;
        toolkit.saveState(STATE.executionId, executionId);
        printHeader(executionId, vendor);
        if (toolkit.isDebug()) toolkit.debug(`POST /v2/crawl -> ${JSON.stringify(started.raw)}`);
      } else {
        executionId = inputs.executionId!;
        toolkit.saveState(STATE.executionId, executionId);
      }
    } catch (error) {
      const report: ActionReport = {
        ...baseReport(),
        outcome: signalName ? 'canceled' : 'error',
        elapsedMs: Date.now() - startedAt,
        error: toReportError(error),
      };
      if (signalName) report.signal = signalName;
      await finalize(report, true, signalName !== undefined);
      return;
    }

    if (!inputs.wait) {
      const report: ActionReport = {
        ...baseReport(),
        outcome: 'started',
        executionId,
        elapsedMs: Date.now() - startedAt,
      };
      if (startedStatus) report.status = startedStatus;
      await finalize(report, true);
      return;
    }

    let lastDebugged: unknown;
    const onEvent = (event: WaitEvent) => {
      if (event.crawl) {
        lastCrawl = event.crawl;
        if (event.crawl.vendor) vendor = event.crawl.vendor;
        if (!headerPrinted) printHeader(event.executionId, event.crawl.vendor ?? vendor);
        if (event.crawl.raw !== lastDebugged && toolkit.isDebug()) {
          lastDebugged = event.crawl.raw;
          toolkit.debug(`GET /v2/crawl/${event.executionId} -> ${JSON.stringify(event.crawl.raw)}`);
        }
      }
      if (event.type === 'warning') {
        for (const action of warnings.handle(event)) toolkit[action.level](action.text);
        return;
      }
      const line = eventLine(event);
      if (line) toolkit.info(line);
    };

    const waitOptions: WaitOptions = {
      signal: controller.signal,
      timeoutMs: inputs.timeoutMs,
      minIntervalMs: inputs.minIntervalMs,
      maxIntervalMs: inputs.maxIntervalMs,
      cancelOnAbort: inputs.cancelOnAbort,
      cancelOnTimeout: inputs.cancelOnTimeout,
      heartbeatMs: HEARTBEAT_MS,
      notFoundGraceMs: inputs.url !== undefined ? NOT_FOUND_GRACE_MS : 0,
      onEvent,
      ...options.waitOverrides,
    };
    if (inputs.stallTimeoutMs !== undefined) waitOptions.stallTimeoutMs = inputs.stallTimeoutMs;

    try {
      const result = await waitForCrawl(client, executionId, waitOptions);
      await finalize(reportFromResult(result, baseReport()), true);
    } catch (error) {
      if (isAbortedError(error) || signalName !== undefined) {
        const aborted = isAbortedError(error) ? error : undefined;
        const base = {
          ...baseReport(),
          executionId,
          elapsedMs: Date.now() - startedAt,
          cancelOnAbort: inputs.cancelOnAbort,
        };
        const report: ActionReport = aborted
          ? reportFromAbort(aborted, signalName ? { ...base, signal: signalName } : base)
          : {
              ...baseReport(),
              outcome: 'canceled',
              executionId,
              elapsedMs: base.elapsedMs,
              error: toReportError(error),
            };
        if (signalName) report.signal = signalName;
        if (!report.crawl && lastCrawl) report.crawl = lastCrawl;
        const clean =
          !inputs.cancelOnAbort || ['canceled', 'already_finished'].includes(report.cancel?.outcome ?? '');
        await finalize(report, clean, true);
        return;
      }
      const report: ActionReport = {
        ...baseReport(),
        outcome: 'error',
        executionId,
        elapsedMs: Date.now() - startedAt,
        error: toReportError(error),
      };
      const context = error as { crawl?: Crawl; history?: ActionReport['history'] };
      if (context.crawl ?? lastCrawl) report.crawl = (context.crawl ?? lastCrawl)!;
      if (context.history) report.history = context.history;
      await finalize(report, true);
    }
  } finally {
    unsubscribe();
    if (graceTimer) clearTimeout(graceTimer);
  }
}

/**
 * The post step: cancels the crawl when main did not finish cleanly (killed, or its DELETE did not get
 * through) and cancel-on-abort holds. A crawl that already finished is a normal answer.
 */
async function runPost(toolkit: Toolkit, options: RunOptions): Promise<void> {
  const executionId = toolkit.getState(STATE.executionId);
  if (!executionId) {
    toolkit.info('Post: the main step started no crawl; nothing to clean up.');
    return;
  }
  if (toolkit.getState(STATE.finishedCleanly) === 'true') {
    toolkit.info(`Post: the main step finished cleanly; nothing to clean up for ${executionId}.`);
    return;
  }
  let cancelOnAbort = true;
  try {
    cancelOnAbort = parseBoolean(
      'cancel-on-abort',
      toolkit.getInput('cancel-on-abort').trim() || INPUT_DEFAULTS['cancel-on-abort'],
    );
  } catch {
    // main rejected it already; keep the safe default
  }
  if (!cancelOnAbort) {
    toolkit.info(
      `Post: the main step did not finish; crawl ${executionId} may still be running (cancel-on-abort is false).`,
    );
    return;
  }
  const apiKey = toolkit.getInput('api-key').trim();
  // The client checks both and trims a trailing slash.
  const baseUrl = toolkit.getInput('api-base-url').trim() || INPUT_DEFAULTS['api-base-url'];
  let line: string;
  try {
    const clientOptions: ConstructorParameters<typeof CatalogClient>[0] = {
      apiKey,
      baseUrl,
      userAgent: USER_AGENT,
      timeoutMs: 10_000,
      retry: { retries: 2, maxDelayMs: 2_000 },
    };
    if (options.fetch) clientOptions.fetch = options.fetch;
    const client = new CatalogClient(clientOptions);
    const result = await client.cancelCrawl(executionId);
    line =
      result.outcome === 'canceled'
        ? `Post: the main step did not finish; cancelled crawl ${executionId}.`
        : result.outcome === 'already_finished'
          ? `Post: the main step did not finish; crawl ${executionId} had already finished, nothing to cancel.`
          : `Post: crawl ${executionId} has not started yet, so it could not be cancelled (the API cancels only running crawls); it will run unless cancelled once it starts.`;
    if (result.outcome === 'not_running_yet') toolkit.warning(line);
    else toolkit.info(line);
  } catch (error) {
    if (error instanceof InvalidInputError) {
      line = `Post: could not cancel crawl ${executionId}: ${error.message}`;
    } else {
      line = `Post: could not cancel crawl ${executionId}: ${errorText(error)}`;
    }
    toolkit.warning(line);
  }
  try {
    await toolkit.writeSummary(`### Catalog crawl clean-up\n\n${line}\n`);
  } catch {
    // a summary never fails the step
  }
}
