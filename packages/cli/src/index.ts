export { buildProgram, type RunOptions, run } from './cli.js';
export { describeError } from './errors.js';
export { EXIT, exitCodeForError, exitCodeForOutcome, worstExitCode } from './exit-codes.js';
export { Output, Redactor, shouldUseColor } from './output.js';
export { JsonReporter } from './render/json.js';
export { type CrawlView, LiveReporter, renderCrawlBlock } from './render/live.js';
export { PlainReporter } from './render/plain.js';
export type { FinishInfo, WaitReporter } from './render/reporter.js';
