import {
  type Crawl,
  crawlPosition,
  formatCounts,
  formatDuration,
  progressFraction,
  type WaitEvent,
} from '@catalog-crawl/core';
import type { createLogUpdate as CreateLogUpdate } from 'log-update';
import { EXIT } from '../exit-codes.js';
import { clock, displaySteps, progressBar, SPINNER, statusColor, stepMark } from '../format.js';
import type { Colors, Output, OutStream } from '../output.js';
import type { FinishInfo, WaitReporter } from './reporter.js';

export interface CrawlView {
  executionId: string;
  crawl: Crawl | undefined;
  /** Local epoch ms the wait of this crawl started (for a ticking elapsed time). */
  startedAt: number;
  lastWarning?: string;
  done?: FinishInfo;
}

export interface BlockOptions {
  colors: Colors;
  /** Spinner frame. */
  frame: number;
  now: number;
  /**
   * The `status` command: a static mark instead of a spinner for running steps, and where the crawl is in
   * core's words (its duration as formatDuration reads it, not a ticking clock; core's step n/4 name, not a
   * count of finished steps), so that it reads the same crawl as the Action and the MCP server do.
   */
  static?: boolean;
  /** With `static`: the crawl's own duration (core's crawlDurationMs), shown in words; omitted when unknown. */
  durationMs?: number | undefined;
  /** Show the progress bar line. Default true. */
  bar?: boolean;
}

const BAR_WIDTH = 24;

/** The lines that show one crawl: a header, the steps with marks, a progress bar with counts, the outcome. */
export function renderCrawlBlock(view: CrawlView, options: BlockOptions): string[] {
  const { colors: c, frame } = options;
  const crawl = view.done?.crawl ?? view.crawl;
  const steps = displaySteps(crawl);
  const status = crawl?.status ?? 'waiting';
  const elapsedMs = view.done?.elapsedMs ?? options.now - view.startedAt;
  let headMark: string;
  if (view.done) {
    headMark =
      view.done.exitCode === 0
        ? c.green('✔')
        : view.done.exitCode === EXIT.TIMED_OUT
          ? c.yellow('⚠')
          : c.red('✖');
  } else {
    headMark = options.static ? c.cyan('●') : c.cyan(SPINNER[frame % SPINNER.length] ?? '*');
  }
  const vendor = crawl?.vendor ? `  ${crawl.vendor}` : '';
  const time = options.static
    ? options.durationMs === undefined
      ? ''
      : `  ${c.dim(formatDuration(options.durationMs))}`
    : `  ${c.dim(clock(elapsedMs))}`;
  const lines = [`${headMark} ${c.bold(view.executionId)}${vendor}  ${statusColor(status, c)}${time}`];
  for (const step of steps) {
    const mark = options.static && step.status === 'running' ? c.cyan('▸') : stepMark(step.status, c, frame);
    const name =
      step.status === 'pending' ? c.dim(step.name) : step.status === 'failed' ? c.red(step.name) : step.name;
    lines.push(`  ${mark} ${name}`);
  }
  if (options.bar !== false) {
    const fraction = progressFraction(crawl);
    const completed = steps.filter((s) => s.status === 'completed').length;
    const counts = formatCounts(crawl);
    const step = options.static ? positionStep(crawl) : undefined;
    const tail = [step ?? `${completed}/${steps.length} steps`, counts].filter(Boolean).join(' · ');
    lines.push(`  ${progressBar(fraction, BAR_WIDTH, c)} ${tail}`);
  }
  if (view.lastWarning && !view.done) lines.push(`  ${c.yellow(`! ${view.lastWarning}`)}`);
  if (view.done) {
    const color =
      view.done.exitCode === 0 ? c.green : view.done.exitCode === EXIT.TIMED_OUT ? c.yellow : c.red;
    lines.push(`  ${color(view.done.message)}`);
    if (view.done.hint) lines.push(`  ${c.dim(view.done.hint)}`);
  }
  return lines;
}

/**
 * The step core's crawlPosition names (`step 2/4 Discovering collections`): none once the crawl finished,
 * unless a step failed. crawlPosition is [status, step?, counts?].
 */
function positionStep(crawl: Crawl | undefined): string | undefined {
  const parts = crawlPosition(crawl);
  return parts.length - 1 > (formatCounts(crawl) === undefined ? 0 : 1) ? parts[1] : undefined;
}

/**
 * log-update draws nothing when the terminal reports 0 rows (a pseudo-terminal without a size, e.g. under
 * `script`): give it the stream with a sane size instead.
 */
function terminalView(stream: OutStream): OutStream {
  return {
    write: (chunk: string) => stream.write(chunk),
    get isTTY() {
      return stream.isTTY;
    },
    get columns() {
      return stream.columns || 80;
    },
    get rows() {
      return stream.rows || 24;
    },
  };
}

/** The compact form of a crawl for many crawls at once: mark, id, status, step, bar, counts, elapsed. */
export function renderCrawlLine(view: CrawlView, options: BlockOptions): string {
  const { colors: c } = options;
  const crawl = view.done?.crawl ?? view.crawl;
  const steps = displaySteps(crawl);
  const elapsedMs = view.done?.elapsedMs ?? options.now - view.startedAt;
  const mark = view.done
    ? view.done.exitCode === 0
      ? c.green('✔')
      : view.done.exitCode === EXIT.TIMED_OUT
        ? c.yellow('⚠')
        : c.red('✖')
    : c.cyan(SPINNER[options.frame % SPINNER.length] ?? '*');
  const completed = steps.filter((s) => s.status === 'completed').length;
  const fraction = progressFraction(crawl);
  const counts = formatCounts(crawl);
  const parts = [
    `${mark} ${c.bold(view.executionId)}`,
    statusColor(crawl?.status ?? 'waiting', c),
    `${progressBar(fraction, 10, c)} ${completed}/${steps.length}`,
    counts,
    c.dim(clock(elapsedMs)),
  ].filter(Boolean);
  const line = parts.join('  ');
  return view.done && view.done.exitCode !== 0 ? `${line}\n    ${view.done.message}` : line;
}

export interface LiveReporterOptions {
  /** log-update's factory (loaded lazily by createLiveReporter, so that other modes do not pay for it). */
  createLogUpdate: typeof CreateLogUpdate;
  /** Redraw period (throttle) in ms. Default 100. */
  intervalMs?: number;
  now?: () => number;
}

/** The terminal display: every crawl's block, redrawn in place (log-update), at most every `intervalMs`. */
export class LiveReporter implements WaitReporter {
  readonly #out: Output;
  readonly #log: ReturnType<typeof CreateLogUpdate>;
  readonly #views = new Map<string, CrawlView>();
  readonly #now: () => number;
  readonly #intervalMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #frame = 0;
  #closed = false;

  constructor(out: Output, options: LiveReporterOptions) {
    this.#out = out;
    this.#now = options.now ?? Date.now;
    this.#intervalMs = options.intervalMs ?? 100;
    this.#log = options.createLogUpdate(terminalView(out.stdout) as unknown as NodeJS.WritableStream, {
      showCursor: false,
    });
  }

  begin(executionIds: readonly string[]): void {
    const now = this.#now();
    for (const id of executionIds) {
      if (!this.#views.has(id)) this.#views.set(id, { executionId: id, crawl: undefined, startedAt: now });
    }
    this.render();
    this.#timer = setInterval(() => {
      this.#frame++;
      this.render();
    }, this.#intervalMs);
    this.#timer.unref?.();
  }

  event(event: WaitEvent): void {
    const view = this.#views.get(event.executionId);
    if (!view) return;
    if (event.crawl) view.crawl = event.crawl;
    view.startedAt = this.#now() - event.elapsedMs;
    if (event.type === 'warning') view.lastWarning = event.message;
    else if (event.type !== 'heartbeat') view.lastWarning = undefined;
  }

  finish(info: FinishInfo): void {
    const view = this.#views.get(info.executionId);
    if (!view) return;
    view.done = info;
    if (info.crawl) view.crawl = info.crawl;
    this.render();
  }

  close(_exitCode?: number): void {
    if (this.#closed) return;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.render();
    this.#log.done();
    this.#closed = true;
  }

  /** The current frame as text (without writing it). */
  frameText(): string {
    const now = this.#now();
    const views = [...this.#views.values()];
    const rows = this.#out.stdout.rows || 24;
    // Too many crawls for full blocks (log-update would clip the top): one line (two when done) per crawl.
    if (views.length > 1 && views.length * 8 > rows - 1) {
      return views
        .map((view) => renderCrawlLine(view, { colors: this.#out.colors, frame: this.#frame, now }))
        .join('\n');
    }
    const blocks = views.map((view) =>
      renderCrawlBlock(view, { colors: this.#out.colors, frame: this.#frame, now }).join('\n'),
    );
    return blocks.join('\n\n');
  }

  render(): void {
    if (this.#closed) return;
    this.#log(this.#out.redactor.redact(this.frameText()));
  }
}

/** A LiveReporter with log-update loaded on demand. */
export async function createLiveReporter(
  out: Output,
  options: Omit<LiveReporterOptions, 'createLogUpdate'> = {},
): Promise<LiveReporter> {
  const { createLogUpdate } = await import('log-update');
  return new LiveReporter(out, { ...options, createLogUpdate });
}
