import { setMaxListeners } from 'node:events';
import {
  CatalogClient,
  type CatalogClientOptions,
  proxySecrets,
  type SignalSource,
  type WaitOptions,
  watchInterrupts,
} from '@catalog-crawl/core';
import { CrawlRun } from './crawl-run.js';
import { errorText, finalize } from './finalize.js';
import { type ActionInputs, parseInputs } from './inputs.js';
import { OUTPUT_NAMES } from './outputs.js';
import { runPost, STATE, USER_AGENT } from './post.js';
import { type ActionReport, toReportError } from './report.js';
import { checkRuntime } from './runtime.js';
import { actionsToolkit, redactingToolkit, type Toolkit } from './toolkit.js';

export { STATE } from './post.js';

/**
 * The runner sends SIGINT, then SIGTERM 7.5 s later, then kills. After the first signal the waiter stops and
 * sends the DELETE; if everything is not written after this long, outputs and summary are written with what
 * is known and the process exits (the post step then retries the DELETE).
 */
export const SIGNAL_GRACE_MS = 6_000;

export interface RunOptions {
  toolkit?: Toolkit;
  env?: Record<string, string | undefined>;
  fetch?: typeof fetch;
  /** Delivers the runner's signals. Default: the process. */
  signals?: SignalSource;
  /** Called when the process must end at once (after a second signal or the grace period). */
  exit?: (code: number) => void;
  signalGraceMs?: number;
  /** Injected into the waiter (tests). */
  waitOverrides?: Partial<WaitOptions>;
  /** Node's version, for the runtime check (tests). */
  nodeVersion?: string;
}

/**
 * Masks the API key (and each of its lines), the GitHub token and any proxy credentials (HTTPS_PROXY...)
 * before anything can print them.
 */
function maskSecrets(raw: Toolkit, env: Record<string, string | undefined>): string[] {
  const apiKey = raw.getInput('api-key');
  const secrets: string[] = [];
  // Each line too: a key pasted with a second line must not leak through that line either.
  const lines = apiKey
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length >= 4);
  const github = raw.getInput('github-token').trim();
  for (const value of [apiKey, apiKey.trim(), ...lines, github, ...proxySecrets(env)]) {
    if (value !== '' && !secrets.includes(value)) {
      raw.setSecret(value);
      secrets.push(value);
    }
  }
  return secrets;
}

/** Entry point of both phases: main, and post (detected through the state main saved, like actions/checkout). */
export async function run(options: RunOptions = {}): Promise<void> {
  const raw = options.toolkit ?? actionsToolkit();
  const secrets = maskSecrets(raw, options.env ?? process.env);
  const toolkit = redactingToolkit(raw, () => secrets);
  const failWith = (message: string) => {
    try {
      for (const name of OUTPUT_NAMES) toolkit.setOutput(name, emptyOutput(name, message));
    } catch {
      // nothing more can be done
    }
    toolkit.setFailed(message);
  };
  const unsupported = checkRuntime(options.nodeVersion ?? process.versions.node);
  if (unsupported) {
    failWith(unsupported);
    return;
  }
  try {
    if (toolkit.getState(STATE.isPost) === 'true') {
      await runPost(toolkit, options.fetch);
    } else {
      toolkit.saveState(STATE.isPost, 'true');
      await runMain(toolkit, options);
    }
  } catch (error) {
    // Last resort: runMain handles its own errors; this only catches bugs. Outputs are still all set.
    failWith(`Unexpected error: ${errorText(error)}`);
  }
}

/** The value of an output when the step could not run at all. */
function emptyOutput(name: (typeof OUTPUT_NAMES)[number], message: string): string {
  switch (name) {
    case 'outcome':
      return 'error';
    case 'error':
      return message;
    case 'result':
      return 'null';
    case 'crawls':
      return '[]';
    case 'counts':
      return '{"total":0}';
    default:
      return '';
  }
}

/** An input error: reported before any request, as the step's only crawl. */
async function finalizeInputError(toolkit: Toolkit, options: RunOptions, error: unknown, startedAt: number) {
  const report: ActionReport = {
    outcome: 'error',
    elapsedMs: Date.now() - startedAt,
    error: toReportError(error),
  };
  toolkit.saveState(STATE.finishedCleanly, 'true');
  await finalize([report], { toolkit, inputs: undefined, env: options.env ?? process.env });
}

/** The main step: read the inputs, start or take the crawls, wait for all of them, report. */
async function runMain(toolkit: Toolkit, options: RunOptions): Promise<void> {
  const env = options.env ?? process.env;
  const startedAt = Date.now();
  let inputs: ActionInputs;
  let client: CatalogClient;
  try {
    inputs = parseInputs((name) => toolkit.getInput(name));
    const clientOptions: CatalogClientOptions = {
      apiKey: inputs.apiKey,
      baseUrl: inputs.baseUrl,
      userAgent: USER_AGENT,
    };
    if (options.fetch) clientOptions.fetch = options.fetch;
    // parseInputs checks what the client checks; this only keeps any later rule an input error.
    client = new CatalogClient(clientOptions);
  } catch (error) {
    await finalizeInputError(toolkit, options, error, startedAt);
    return;
  }

  let finalized = false;
  let runs: CrawlRun[] = [];
  const interrupts = watchInterrupts({
    ...(options.signals ? { source: options.signals } : {}),
    graceMs: options.signalGraceMs ?? SIGNAL_GRACE_MS,
    onInterrupt: (signal) => {
      const open = runs.filter((r) => r.executionId !== undefined && r.report === undefined).length;
      const cancelling =
        inputs.cancelOnAbort && open > 0
          ? runs.length === 1
            ? ' and cancelling the crawl'
            : ` and cancelling ${open} unfinished crawl${open === 1 ? '' : 's'}`
          : '';
      toolkit.info(`Received ${signal}: stopping the wait${runs.length === 1 ? '' : 's'}${cancelling}.`);
    },
    onForce: ({ reason, first, signal }) => {
      const why =
        reason === 'grace' ? 'No answer in time after the interruption' : `Received ${signal} after ${first}`;
      void forceFinish(why, first);
    },
  });

  const saveState = () => {
    const ids = runs.map((r) => r.executionId).filter((id): id is string => id !== undefined);
    toolkit.saveState(STATE.executionId, ids.join('\n'));
    const clean = runs.filter((r) => r.clean && r.executionId).map((r) => r.executionId!);
    if (clean.length > 0) toolkit.saveState(STATE.cleanIds, clean.join('\n'));
  };
  const context = {
    toolkit,
    inputs,
    client,
    signal: interrupts.signal,
    interruptedBy: () => interrupts.received,
    many: inputs.urls.length + inputs.executionIds.length > 1,
    onStateChange: saveState,
    startedAt,
    env,
    ...(options.waitOverrides ? { waitOverrides: options.waitOverrides } : {}),
  };
  runs = [
    ...inputs.urls.map((url) => new CrawlRun(context, { url })),
    ...inputs.executionIds.map((executionId) => new CrawlRun(context, { executionId })),
  ];
  // Every wait listens to this one signal (its sleep, its request in flight): a known bound, not a leak.
  setMaxListeners(runs.length * 4 + 10, interrupts.signal);

  const writeAll = async (reports: ActionReport[], interrupted: boolean) => {
    if (finalized) return;
    finalized = true;
    interrupts.settle();
    if (runs.every((r) => r.clean)) toolkit.saveState(STATE.finishedCleanly, 'true');
    await finalize(reports, {
      toolkit,
      inputs,
      env,
      interrupted,
      logFinal: (report) => runs[reports.indexOf(report)]?.printFinal(report),
    });
  };

  /** After a second signal or when the grace period ends: write what is known and exit. */
  const forceFinish = async (why: string, signal: string) => {
    if (finalized) return;
    toolkit.warning(`${why}: writing outputs and exiting now.`);
    await writeAll(
      runs.map((r) => r.interimReport(signal)),
      true,
    );
    (options.exit ?? ((code: number) => process.exit(code)))(1);
  };

  try {
    const reports = await Promise.all(runs.map((r) => r.run()));
    await writeAll(reports, interrupts.received !== undefined);
  } finally {
    interrupts.dispose();
  }
}
