import { commentOnPullRequest } from './comment.js';
import type { ActionInputs } from './inputs.js';
import { finalLine } from './log.js';
import { buildStepOutputs, outcomeCounts } from './outputs.js';
import { type ActionReport, outcomeMessage } from './report.js';
import { buildStepSummary } from './summary.js';
import type { Toolkit } from './toolkit.js';

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export interface FinalizeOptions {
  toolkit: Toolkit;
  /** Undefined when the inputs could not be read. */
  inputs: ActionInputs | undefined;
  env: Record<string, string | undefined>;
  /** Prints the last log line of one crawl, unless already printed (default: print it). */
  logFinal?: (report: ActionReport) => void;
  /** The step was interrupted: no pull request comment. */
  interrupted?: boolean;
}

/** Whether the outcome fails the step: `error` always does, others when listed in `fail-on`. */
export function failsStep(report: ActionReport, inputs: ActionInputs | undefined): boolean {
  const failOn: readonly string[] = inputs?.failOn ?? [];
  return report.outcome === 'error' || failOn.includes(report.outcome);
}

/**
 * Writes the step's results, in this order: outputs, log, summary, pull request comment, then the step's
 * failure. Never throws for a summary or comment problem (a warning says what went wrong).
 */
export async function finalize(reports: readonly ActionReport[], options: FinalizeOptions): Promise<void> {
  const { toolkit, inputs, env } = options;
  for (const [name, value] of Object.entries(buildStepOutputs(reports))) toolkit.setOutput(name, value);
  for (const report of reports) {
    if (options.logFinal) options.logFinal(report);
    else toolkit.info(finalLine(report));
  }
  const failing = reports.filter((report) => failsStep(report, inputs));
  if (reports.length > 1) {
    const counts = Object.entries(outcomeCounts(reports))
      .filter(([name, n]) => name !== 'total' && n > 0)
      .map(([name, n]) => `${n} ${name}`)
      .join(', ');
    toolkit.info(`${reports.length} crawls: ${counts}.`);
  }
  if (inputs?.summary ?? true) {
    try {
      await toolkit.writeSummary(buildStepSummary(reports));
    } catch (error) {
      toolkit.warning(`Could not write the job summary: ${errorText(error)}`);
    }
  }
  if (inputs?.commentOnPr && !options.interrupted && reports.some((r) => r.executionId)) {
    try {
      toolkit.info(await commentOnPullRequest(reports, inputs.githubToken, env));
    } catch (error) {
      toolkit.warning(`comment-on-pr: could not write the pull request comment: ${errorText(error)}`);
    }
  }
  // The results were asked for: a crawl that completed without them saved still fails the step.
  const unsaved = reports.filter((r) => r.results?.error !== undefined);
  const resultsMessage =
    unsaved.length === 0
      ? undefined
      : `The results could not be saved: ${unsaved.map((r) => (reports.length > 1 ? `${r.label}: ${r.results!.error}` : r.results!.error)).join('; ')}`;
  if (failing.length === 0) {
    if (resultsMessage) toolkit.setFailed(resultsMessage);
    return;
  }
  if (reports.length === 1) {
    const report = reports[0]!;
    toolkit.setFailed(outcomeMessage(report) || `The crawl ended with outcome ${report.outcome}.`);
    return;
  }
  // One annotation per crawl that fails the step, then the step's own failure.
  for (const report of failing) {
    toolkit.error(`${report.label}: ${outcomeMessage(report) || `outcome ${report.outcome}`}`);
  }
  if (resultsMessage) toolkit.error(resultsMessage);
  toolkit.setFailed(
    `${failing.length} of ${reports.length} crawls ended with an outcome that fails the step (fail-on): ${failing
      .map((r) => `${r.label} ${r.outcome}`)
      .join(', ')}.`,
  );
}
