import { setMaxListeners } from 'node:events';
import type { CatalogClient, WaitOptions } from '@catalog-crawl/core';
import type { CliContext } from './context.js';
import { debugDetails } from './errors.js';
import { EXIT, worstExitCode } from './exit-codes.js';
import { finishFromError, finishFromResult } from './outcome.js';
import type { FinishInfo, WaitReporter } from './render/reporter.js';

export type CliWaitOptions = Omit<WaitOptions, 'signal' | 'onEvent' | 'now' | 'sleep' | 'random'>;

export interface WaitManyResult {
  exitCode: number;
  finishes: FinishInfo[];
}

/**
 * Waits for several crawls at once through one client (so they share its rate limiter), shows them with one
 * reporter, and returns the worst exit code. Ctrl-C (SIGINT) or SIGTERM aborts every wait; the waits cancel
 * their crawl only with `cancelOnAbort`. A second signal leaves at once.
 */
export async function waitMany(
  ctx: CliContext,
  client: CatalogClient,
  executionIds: readonly string[],
  options: CliWaitOptions,
  reporterOverride?: WaitReporter,
): Promise<WaitManyResult> {
  const reporter = reporterOverride ?? (await ctx.reporter());
  const { waitForCrawl } = await import('@catalog-crawl/core');
  const { watchInterrupts } = await import('@catalog-crawl/core');
  let signalName: 'SIGINT' | 'SIGTERM' | undefined;
  const interrupts = watchInterrupts({
    source: ctx.signals,
    onInterrupt: (name) => {
      signalName = name;
      if (!ctx.json && ctx.reporterKind === 'plain') {
        ctx.out.errLine(
          options.cancelOnAbort
            ? `${name}: canceling the crawl (a pending crawl is waited for up to --cancel-wait; ${name === 'SIGINT' ? 'Ctrl-C' : 'a signal'} again leaves now)...`
            : `${name}: stopping (the crawl keeps running)...`,
        );
      }
    },
    onForce: ({ signal }) => {
      ctx.out.errLine('Interrupted again: exiting now.');
      ctx.forceExit(signal === 'SIGTERM' ? EXIT.TERMINATED : EXIT.INTERRUPTED);
    },
  });
  // Every wait listens to this one signal (its sleep and its request in flight): a known bound, not a leak.
  setMaxListeners(executionIds.length * 4 + 10, interrupts.signal);

  const waitOptions: WaitOptions = { ...options };
  if (ctx.reporterKind === 'plain' && waitOptions.heartbeatMs === undefined)
    waitOptions.heartbeatMs = 300_000;
  const context = {
    timeoutMs: options.timeoutMs,
    stallTimeoutMs: options.stallTimeoutMs,
    baseUrl: ctx.safeBaseUrl(),
  };

  reporter.begin(executionIds);
  let finishes: FinishInfo[];
  try {
    finishes = await Promise.all(
      executionIds.map(async (id): Promise<FinishInfo> => {
        let finish: FinishInfo;
        try {
          const result = await waitForCrawl(client, id, {
            ...waitOptions,
            signal: interrupts.signal,
            onEvent: (event) => {
              reporter.event(event);
              if (event.type === 'warning' && ctx.debug && event.error)
                ctx.out.errLine(debugDetails(event.error));
            },
          });
          finish = finishFromResult(result, context);
        } catch (error) {
          finish = finishFromError(id, error, { ...context, signalName });
          if (ctx.debug) ctx.out.errLine(debugDetails(error));
        }
        reporter.finish(finish);
        return finish;
      }),
    );
  } finally {
    interrupts.dispose();
  }
  const exitCode = worstExitCode(finishes.map((f) => f.exitCode));
  reporter.close(exitCode);
  if (ctx.json) {
    // Diagnostics for humans go to stderr, stdout keeps only JSON.
    for (const f of finishes) {
      if (f.outcome === 'error' || f.outcome === 'interrupted') {
        ctx.out.errLine(`${f.executionId}: ${f.message}`);
        if (f.hint) ctx.out.errLine(f.hint);
      }
    }
  }
  return { exitCode, finishes };
}
