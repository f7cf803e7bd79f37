import { randomUUID } from 'node:crypto';
// Named imports: the bundler then leaves out what is not used (core.platform and its @actions/exec).
import {
  debug,
  error,
  getInput,
  getState,
  info,
  isDebug,
  saveState,
  setFailed,
  setOutput,
  setSecret,
  summary,
  warning,
} from '@actions/core';
import { createRedactor } from '@catalog-crawl/core';

/** The part of @actions/core the Action uses; tests pass a mock. */
export interface Toolkit {
  getInput(name: string): string;
  setSecret(secret: string): void;
  isDebug(): boolean;
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  setOutput(name: string, value: string): void;
  setFailed(message: string): void;
  saveState(name: string, value: string): void;
  getState(name: string): string;
  /** Appends Markdown to the job summary. May throw (no GITHUB_STEP_SUMMARY, disk full...). */
  writeSummary(markdown: string): Promise<void>;
}

export function actionsToolkit(): Toolkit {
  return {
    getInput: (name) => getInput(name),
    setSecret: (secret) => setSecret(secret),
    isDebug: () => isDebug(),
    debug: (message) => debug(message),
    info: (message) => info(guardCommands(message)),
    warning: (message) => warning(message),
    error: (message) => error(message),
    setOutput: (name, value) => setOutput(name, value),
    setFailed: (message) => setFailed(message),
    saveState: (name, value) => saveState(name, value),
    getState: (name) => getState(name),
    writeSummary: async (markdown) => {
      summary.emptyBuffer();
      await summary.addRaw(markdown, true).write();
    },
  };
}

const COMMAND_LINE = /^\s*(::|##\[)/;

/**
 * Makes sure no line of `text` runs as a workflow command. Annotations and debug lines are safe already
 * (@actions/core escapes their line breaks); a plain log line is printed as is, so API text in it (an error,
 * a vendor) could start a line with `::add-mask::`, `::stop-commands::` or the older `##[...]` form. Such a
 * message is wrapped in the runner's stop-commands with a token made now, after the text existed, so the
 * text cannot know it and end the block early.
 */
export function guardCommands(text: string, token: () => string = randomUUID): string {
  const lines = text.split(/\r\n|\r|\n/);
  if (!lines.some((line) => COMMAND_LINE.test(line))) return text;
  const t = token();
  return [`::stop-commands::${t}`, ...lines, `::${t}::`].join('\n');
}

/**
 * Wraps a toolkit so nothing it writes (log, outputs, state, summary, failure message) can carry a secret,
 * not even where the runner's masking does not apply (output and summary files).
 */
export function redactingToolkit(toolkit: Toolkit, secrets: () => readonly string[]): Toolkit {
  const r = (text: string) => createRedactor(secrets())(text);
  return {
    getInput: (name) => toolkit.getInput(name),
    setSecret: (secret) => toolkit.setSecret(secret),
    isDebug: () => toolkit.isDebug(),
    debug: (message) => toolkit.debug(r(message)),
    info: (message) => toolkit.info(r(message)),
    warning: (message) => toolkit.warning(r(message)),
    error: (message) => toolkit.error(r(message)),
    setOutput: (name, value) => toolkit.setOutput(name, r(value)),
    setFailed: (message) => toolkit.setFailed(r(message)),
    saveState: (name, value) => toolkit.saveState(name, r(value)),
    getState: (name) => toolkit.getState(name),
    writeSummary: (markdown) => toolkit.writeSummary(r(markdown)),
  };
}
