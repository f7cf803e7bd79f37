import {
  type CancelWhenRunningResult,
  CatalogClient,
  type CatalogClientOptions,
  cancelWhenRunning,
  formatDuration,
} from '@catalog-crawl/core';
import { errorText } from './finalize.js';
import { INPUT_DEFAULTS, parseBoolean, parseDurationInput } from './inputs.js';
import { stillPending } from './report.js';
import { escapeMarkdown } from './summary.js';
import type { Toolkit } from './toolkit.js';

/** Names used with saveState / getState (the post step reads them as STATE_<name>). */
export const STATE = {
  isPost: 'isPost',
  /** The ids of the crawls started or waited for, one per line. */
  executionId: 'executionId',
  /** `true` when every crawl ended without needing the post step. */
  finishedCleanly: 'finishedCleanly',
  /** The ids, one per line, of the crawls that ended without needing the post step. */
  cleanIds: 'cleanIds',
} as const;

export const USER_AGENT = 'catalog-crawl-action/0.1.0';

function idList(value: string): string[] {
  return value.split('\n').filter((id) => id !== '');
}

/** A duration input as main read it; its default when unset or (main reported that) invalid. */
function durationInput(toolkit: Toolkit, name: 'cancel-wait' | 'min-interval' | 'max-interval'): number {
  const fallback = parseDurationInput(name, INPUT_DEFAULTS[name]);
  try {
    const value = toolkit.getInput(name).trim();
    return value === '' ? fallback : parseDurationInput(name, value);
  } catch {
    return fallback;
  }
}

/**
 * The post step: cancels the crawls main did not finish cleanly (killed, its DELETE did not get through, or
 * the crawl was still pending) when cancel-on-abort holds. The API cancels only running crawls, so a pending
 * one is watched for up to cancel-wait and cancelled as soon as it starts; if it has not started by then, an
 * error says so and how to cancel it later. A crawl that already finished is a normal answer.
 */
export async function runPost(toolkit: Toolkit, fetchImpl?: typeof fetch): Promise<void> {
  const ids = idList(toolkit.getState(STATE.executionId));
  if (ids.length === 0) {
    toolkit.info('Post: the main step started no crawl; nothing to clean up.');
    return;
  }
  if (toolkit.getState(STATE.finishedCleanly) === 'true') {
    toolkit.info(`Post: the main step finished cleanly; nothing to clean up for ${ids.join(', ')}.`);
    return;
  }
  const clean = new Set(idList(toolkit.getState(STATE.cleanIds)));
  const pending = ids.filter((id) => !clean.has(id));
  if (pending.length === 0) {
    toolkit.info(`Post: every crawl of the main step ended cleanly; nothing to clean up.`);
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
    for (const id of pending) {
      toolkit.info(
        `Post: the main step did not finish; crawl ${id} may still be running (cancel-on-abort is false).`,
      );
    }
    return;
  }
  const lines: string[] = [];
  let client: CatalogClient | undefined;
  try {
    const options: CatalogClientOptions = {
      apiKey: toolkit.getInput('api-key').trim(),
      // The client checks both and trims a trailing slash.
      baseUrl: toolkit.getInput('api-base-url').trim() || INPUT_DEFAULTS['api-base-url'],
      userAgent: USER_AGENT,
      timeoutMs: 10_000,
      retry: { retries: 2, maxDelayMs: 2_000 },
    };
    if (fetchImpl) options.fetch = fetchImpl;
    client = new CatalogClient(options);
  } catch (error) {
    for (const id of pending) lines.push(`Post: could not cancel crawl ${id}: ${errorText(error)}`);
    for (const line of lines) toolkit.warning(line);
  }
  if (client) {
    const api = client;
    const timeoutMs = durationInput(toolkit, 'cancel-wait');
    const minIntervalMs = durationInput(toolkit, 'min-interval');
    const maxIntervalMs = Math.max(minIntervalMs, durationInput(toolkit, 'max-interval'));
    await Promise.all(
      pending.map(async (id) => {
        let done: CancelWhenRunningResult;
        try {
          done = await cancelWhenRunning(api, id, { timeoutMs, minIntervalMs, maxIntervalMs });
        } catch (error) {
          const line = `Post: could not cancel crawl ${id}: ${errorText(error)}`;
          lines.push(line);
          toolkit.warning(line);
          return;
        }
        if (done.outcome === 'still_pending') {
          const line = `Post: crawl ${id} is ${stillPending(id)} (it had not started after ${formatDuration(timeoutMs)}, cancel-wait).`;
          lines.push(line);
          toolkit.error(line);
          return;
        }
        const line =
          done.outcome === 'canceled'
            ? `Post: the main step did not finish; cancelled crawl ${id}.`
            : `Post: the main step did not finish; crawl ${id} had already finished, nothing to cancel.`;
        lines.push(line);
        toolkit.info(line);
      }),
    );
  }
  try {
    await toolkit.writeSummary(`### Catalog crawl clean-up\n\n${lines.map(escapeMarkdown).join('\n\n')}\n`);
  } catch {
    // a summary never fails the step
  }
}
