import { randomBytes } from 'node:crypto';
import { constants, createWriteStream, type WriteStream } from 'node:fs';
import { access, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { Writable } from 'node:stream';
import {
  type CatalogClient,
  type Collection,
  type ExportFormat,
  type ExportProgress,
  type ExportSummary,
  formatCount,
  formatCountOf,
  type Listing,
  type Results,
} from '@catalog-crawl/core';
import type { CliContext } from './context.js';
import { EXIT, UsageError, WriteError } from './exit-codes.js';
import { safeText, UNSAFE_CHARS } from './format.js';
import type { OutStream } from './output.js';

/** `results` options as commander parses them. */
export interface RawResultsOptions {
  collections?: boolean;
  format?: string;
  out?: string;
  limit?: number;
  updatedSinceStart?: boolean;
  newSinceStart?: boolean;
}

const EXTENSION_FORMATS: Record<string, ExportFormat> = {
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.csv': 'csv',
  '.json': 'json',
};

/**
 * The export format: `--format` when given, else the file's extension (`.jsonl`/`.ndjson`, `.csv`, `.json`),
 * else JSON Lines when writing to stdout. A file with another extension and no `--format` is a usage error:
 * guessing would write a format the name does not announce.
 */
export async function resolveFormat(
  format: string | undefined,
  file: string | undefined,
  option = '--out',
): Promise<ExportFormat> {
  const { validateExportFormat } = await import('@catalog-crawl/core');
  if (format !== undefined) {
    try {
      return validateExportFormat(format);
    } catch {
      throw new UsageError(
        `--format ${JSON.stringify(safeText(format, 40))} is not supported: use jsonl, csv or json.`,
      );
    }
  }
  if (file === undefined || file === '-') return 'jsonl';
  const byExtension = EXTENSION_FORMATS[extname(file).toLowerCase()];
  if (byExtension) return byExtension;
  throw new UsageError(
    `cannot tell the format from the name ${JSON.stringify(safeText(basename(file), 60))} (${option}): name it .jsonl, .csv or .json, or pass --format jsonl|csv|json.`,
  );
}

/** Checks, before any request, that FILE can be created: its folder exists and is writable, and it is no folder. */
export async function checkOutputPath(file: string, option: string): Promise<void> {
  if (file.trim() === '') throw new UsageError(`${option} is empty: pass a file name.`);
  const dir = dirname(file);
  try {
    const info = await stat(dir);
    if (!info.isDirectory()) throw new Error('not a folder');
    await access(dir, constants.W_OK);
  } catch {
    throw new UsageError(
      `${option} ${JSON.stringify(file)}: the folder ${JSON.stringify(dir)} does not exist or is not writable.`,
    );
  }
  try {
    if ((await stat(file)).isDirectory()) {
      throw new UsageError(`${option} ${JSON.stringify(file)} is a folder: pass a file name.`);
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    // Absent: it will be created.
  }
}

/**
 * A file written under a temporary name next to it and renamed on success, so that an export that fails or
 * is interrupted never leaves a half file under the name asked for (nor replaces a previous good one).
 * Something that exists and is not a regular file (a FIFO, `/dev/stdout`, a device) is written directly:
 * renaming over it would replace it.
 */
class AtomicFile {
  /** The temporary file, or undefined when writing directly. */
  readonly temp: string | undefined;
  readonly stream: WriteStream;
  #opened: Promise<void>;
  constructor(
    readonly file: string,
    direct: boolean,
  ) {
    this.temp = direct
      ? undefined
      : join(dirname(file), `.${basename(file)}.${randomBytes(4).toString('hex')}.partial`);
    this.stream = createWriteStream(this.temp ?? file, { flags: this.temp ? 'wx' : 'w' });
    // Errors are read where they matter (opened, commit, the export's own listener); this one keeps a late
    // error of a discarded stream from crashing the process.
    this.stream.on('error', () => {});
    this.#opened = new Promise((resolve, reject) => {
      this.stream.once('open', () => resolve());
      this.stream.once('error', reject);
    });
    this.#opened.catch(() => {});
  }
  async opened(): Promise<void> {
    try {
      await this.#opened;
    } catch (error) {
      throw new WriteError(`Cannot create ${this.file}: ${(error as Error).message}`, { cause: error });
    }
  }
  async commit(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.stream.once('error', reject);
      this.stream.end(() => resolve());
    }).catch((error: unknown) => {
      throw new WriteError(`Cannot write ${this.file}: ${(error as Error).message}`, { cause: error });
    });
    if (this.temp === undefined) return;
    try {
      await rename(this.temp, this.file);
    } catch (error) {
      throw new WriteError(`Cannot write ${this.file}: ${(error as Error).message}`, { cause: error });
    }
  }
  async discard(): Promise<void> {
    this.stream.destroy();
    if (this.temp !== undefined) await rm(this.temp, { force: true }).catch(() => {});
  }
}

type Target = OutStream & Partial<NodeJS.WritableStream> & { destroyed?: boolean };

/**
 * A writable that passes each chunk through `transform` (the redactor; on a terminal also the control
 * character filter) before writing it to `target`, keeping the target's backpressure and errors. The
 * exporter writes whole items per chunk, so a secret never straddles two chunks.
 */
function filtered(target: Target, transform: (text: string) => string): Writable {
  const onTargetError = (error: Error) => sink.destroy(error);
  const sink: Writable = new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, callback) {
      if (target.destroyed) {
        callback(Object.assign(new Error('the output is closed'), { code: 'ERR_STREAM_DESTROYED' }));
        return;
      }
      const text = transform(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
      let ok: unknown;
      try {
        ok = target.write(text);
      } catch (error) {
        callback(error as Error);
        return;
      }
      if (ok !== false || typeof target.once !== 'function') callback();
      else target.once('drain', () => callback());
    },
    destroy(error, callback) {
      target.off?.('error', onTargetError);
      callback(error);
    },
    final(callback) {
      target.off?.('error', onTargetError);
      callback();
    },
  });
  target.on?.('error', onTargetError);
  // The exporter listens while it writes; afterwards (a discarded file, a closed pipe) an error is expected.
  sink.on('error', () => {});
  return sink;
}

const guarded = new WeakSet<object>();
/**
 * A closed pipe (`| head`) is reported as an 'error' event on stdout, possibly after the export stopped:
 * without a listener Node would turn it into an uncaught exception and a stack trace. The export itself sees
 * the error through its own listener; this one only keeps the process from crashing afterwards.
 */
function guardStdout(stdout: Target): void {
  if (typeof stdout.on !== 'function' || guarded.has(stdout)) return;
  guarded.add(stdout);
  stdout.on('error', () => {});
}

/** On a terminal, control and bidi characters from the API become `�` (they could rewrite the screen). */
function terminalSafe(text: string): string {
  return text.replace(UNSAFE_CHARS, '\uFFFD');
}

/** True for something that exists and is not a regular file (a FIFO, a device, `/dev/stdout`). */
async function isSpecial(file: string): Promise<boolean> {
  try {
    return !(await stat(file)).isFile();
  } catch {
    return false;
  }
}

function isBrokenPipe(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED') return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

export interface ExportTarget {
  kind: 'listings' | 'collections';
  vendor: string;
  format: ExportFormat;
  /** A file, or undefined (or `-`) for stdout. */
  file?: string;
  limit?: number;
  signal?: AbortSignal;
  /** Labels of the approximations in use (printed with the results). */
  approximations: string[];
  /** What the crawl reported, when reading for an execution id. */
  expected?: number;
  executionId?: string;
}

export interface ExportOutcome {
  summary: ExportSummary;
  /** True when stdout was closed by the reader (`| head`): not an error. */
  brokenPipe: boolean;
}

/** A one-line progress bar on stderr, redrawn at most 10 times a second (only on a terminal). */
class ProgressLine {
  #last = 0;
  #shown = false;
  constructor(
    private readonly ctx: CliContext,
    private readonly label: string,
  ) {}
  update(p: ExportProgress): void {
    const now = Date.now();
    if (now - this.#last < 100) return;
    this.#last = now;
    const c = this.ctx.out.errColors;
    const width = 24;
    const fraction = p.total ? Math.min(1, p.items / p.total) : 0;
    const filled = Math.round(fraction * width);
    const bar = p.total ? `${c.cyan('█'.repeat(filled))}${c.dim('░'.repeat(width - filled))} ` : '';
    const of = p.total ? ` / ${formatCount(p.total)}` : '';
    this.ctx.out.stderr.write(
      `\r\u001b[2K${bar}${formatCount(p.items)}${of} ${this.label}, ${formatCountOf(p.pagesRead, 'page')}`,
    );
    this.#shown = true;
  }
  clear(): void {
    if (this.#shown) this.ctx.out.stderr.write('\r\u001b[2K');
    this.#shown = false;
  }
}

/**
 * Streams `results` to the file or stdout in `format`. stdout carries only the data; messages go to stderr.
 * A reader that closes stdout early (`| head`) ends the export quietly.
 */
export async function exportTo(
  ctx: CliContext,
  results: Results<Listing> | Results<Collection>,
  target: ExportTarget,
): Promise<ExportOutcome> {
  const { exportResults, OutputError } = await import('@catalog-crawl/core');
  const toStdout = target.file === undefined || target.file === '-';
  const file = toStdout
    ? undefined
    : new AtomicFile(target.file as string, await isSpecial(target.file as string));
  const stdout = ctx.out.stdout as Target;
  if (toStdout) guardStdout(stdout);
  const redact = (text: string) => ctx.out.redactor.redact(text);
  const transform = toStdout && stdout.isTTY ? (text: string) => terminalSafe(redact(text)) : redact;
  const progress = ctx.out.stderr.isTTY ? new ProgressLine(ctx, target.kind) : undefined;
  let sink: Writable | undefined;
  try {
    if (file) await file.opened();
    sink = filtered(file ? (file.stream as unknown as Target) : stdout, transform);
    try {
      const summary = await exportResults(results, sink, {
        format: target.format,
        ...(target.limit !== undefined ? { limit: target.limit } : {}),
        ...(target.signal ? { signal: target.signal } : {}),
        onProgress: (p) => progress?.update(p),
      });
      // The sink may still hold chunks waiting for the target's drain: flush them before the file is closed.
      const flushing = sink;
      await new Promise<void>((resolve, reject) => {
        if (flushing.errored || flushing.destroyed) {
          reject(new OutputError('Could not write the export', flushing.errored ?? undefined));
          return;
        }
        flushing.once('error', (error) =>
          reject(new OutputError(`Could not write the export: ${error.message}`, error)),
        );
        // On an error, end() calls back with it before 'error' is emitted: wait for 'finish' instead.
        flushing.once('finish', () => resolve());
        flushing.end();
      });
      progress?.clear();
      if (file) await file.commit();
      return { summary, brokenPipe: false };
    } catch (error) {
      progress?.clear();
      if (toStdout && error instanceof OutputError && isBrokenPipe(error)) {
        const stats = results.stats;
        return {
          summary: {
            format: target.format,
            kind: target.kind,
            pagesRead: stats.pagesRead,
            items: stats.itemsRead,
            skipped: stats.skipped,
            filteredOut: stats.filteredOut,
            limited: false,
            bytes: 0,
          },
          brokenPipe: true,
        };
      }
      if (error instanceof OutputError) {
        throw new WriteError(
          `Cannot write the ${target.kind} to ${file ? file.file : 'stdout'}: ${error.message}`,
          { cause: error },
        );
      }
      throw error;
    }
  } catch (error) {
    sink?.destroy();
    await file?.discard();
    throw error;
  }
}

/** The human summary of an export, for stderr (or stdout when the data went to a file). */
export function exportSummaryLines(target: ExportTarget, outcome: ExportOutcome): string[] {
  const { summary } = outcome;
  const what = formatCountOf(summary.items, target.kind === 'listings' ? 'listing' : 'collection');
  const where = target.file && target.file !== '-' ? ` to ${target.file}` : '';
  const lines: string[] = [];
  if (outcome.brokenPipe) return lines;
  lines.push(
    `Wrote ${what} of ${target.vendor} (${target.format}, ${formatCountOf(summary.pagesRead, 'page')})${where}${summary.limited ? `, stopped at --limit ${formatCount(target.limit ?? summary.items)}` : ''}.`,
  );
  if (summary.items === 0 && (summary.stopReason === 'not_found' || summary.stopReason === 'empty')) {
    lines.push(
      `Nothing is indexed for ${target.vendor}: check the hostname (a crawl's meta.vendor, e.g. from \`catalog-crawl status <id>\`), or crawl it first.`,
    );
  }
  if (summary.filteredOut > 0) {
    lines.push(`${formatCountOf(summary.filteredOut, 'item')} left out by the since-start filter.`);
  }
  if (summary.skipped > 0) {
    lines.push(`${formatCountOf(summary.skipped, 'item')} skipped: the API sent them without an id or url.`);
  }
  if (summary.stopReason === 'hard_cap' || summary.stopReason === 'repeated') {
    lines.push(
      'The API kept announcing more pages than it had; the read stopped at its hard cap (no item was written twice).',
    );
  }
  const complete = !summary.limited && target.approximations.length === 0 && target.expected !== undefined;
  if (complete && summary.items !== target.expected) {
    lines.push(
      `Note: the crawl reported ${formatCount(target.expected as number)} ${target.kind}; the vendor's index has ${formatCount(summary.items)} now (the index is cumulative and shared, not keyed by crawl).`,
    );
  }
  for (const note of target.approximations) lines.push(note);
  return lines;
}

/** Parses `<vendor|execution-id>`: a value with a dot (or anything that cannot be an id) is a vendor. */
export async function parseResultsTarget(
  value: string,
): Promise<{ vendor: string } | { executionId: string }> {
  const { validateExecutionId, validateVendor } = await import('@catalog-crawl/core');
  const trimmed = value.trim();
  if (!trimmed.includes('.')) {
    try {
      return { executionId: validateExecutionId(trimmed) };
    } catch {
      // Not an id either: let the vendor check say what is wrong.
    }
  }
  return { vendor: validateVendor(trimmed) };
}

/** `catalog-crawl results <vendor|execution-id>`. */
export async function resultsCommand(
  ctx: CliContext,
  value: string,
  raw: RawResultsOptions,
): Promise<number> {
  ctx.dataOnStdout = raw.out === undefined || raw.out === '-';
  const target = await parseResultsTarget(value);
  const kind = raw.collections ? 'collections' : 'listings';
  const filters = raw.updatedSinceStart === true || raw.newSinceStart === true;
  if ('vendor' in target && filters) {
    throw new UsageError(
      '--updated-since-start and --new-since-start need an execution id (they compare with its start date), not a vendor.',
    );
  }
  if (raw.newSinceStart && kind === 'collections') {
    throw new UsageError(
      '--new-since-start applies to listings only (collections carry no first_seen_by_catalog).',
    );
  }
  const format = await resolveFormat(raw.format, raw.out);
  if (raw.out !== undefined && raw.out !== '-') await checkOutputPath(raw.out, '--out');
  const client = await ctx.client();
  return withInterrupts(ctx, async (signal) => {
    const read = await openResults(ctx, client, target, kind, {
      signal,
      updatedSinceStart: raw.updatedSinceStart === true,
      newSinceStart: raw.newSinceStart === true,
    });
    const exportTarget: ExportTarget = {
      kind,
      vendor: read.vendor,
      format,
      ...(raw.out !== undefined ? { file: raw.out } : {}),
      ...(raw.limit !== undefined ? { limit: raw.limit } : {}),
      signal,
      approximations: read.approximations,
      ...(read.expected !== undefined ? { expected: read.expected } : {}),
      ...('executionId' in target ? { executionId: target.executionId } : {}),
    };
    // The labels come first too, so that a reader of a long export knows what it is getting.
    for (const note of read.approximations) ctx.out.errLine(ctx.out.errColors.yellow(note));
    const outcome = await exportTo(ctx, read.results, exportTarget);
    reportExport(ctx, exportTarget, outcome);
    return EXIT.OK;
  });
}

/** Prints the summary: JSON (stdout when the data went to a file, else stderr) or human lines on stderr. */
export function reportExport(ctx: CliContext, target: ExportTarget, outcome: ExportOutcome): void {
  const toFile = target.file !== undefined && target.file !== '-';
  if (ctx.json) {
    const s = outcome.summary;
    const json = {
      type: 'results',
      kind: target.kind,
      vendor: target.vendor,
      executionId: target.executionId ?? null,
      format: target.format,
      path: toFile ? target.file : null,
      items: s.items,
      pagesRead: s.pagesRead,
      total: s.total ?? null,
      expected: target.expected ?? null,
      limited: s.limited,
      skipped: s.skipped,
      filteredOut: s.filteredOut,
      stopReason: s.stopReason ?? null,
      brokenPipe: outcome.brokenPipe,
      approximations: target.approximations,
    };
    if (toFile) ctx.out.json(json);
    else ctx.out.stderr.write(`${ctx.out.redactor.redact(JSON.stringify(json))}\n`);
    return;
  }
  for (const line of exportSummaryLines(target, outcome)) ctx.out.errLine(line);
}

interface OpenedResults {
  vendor: string;
  results: Results<Listing> | Results<Collection>;
  approximations: string[];
  expected?: number;
}

/** The results of a vendor, or of a completed crawl (CrawlNotCompletedError, exit 9, otherwise). */
export async function openResults(
  _ctx: CliContext,
  client: CatalogClient,
  target: { vendor: string } | { executionId: string },
  kind: 'listings' | 'collections',
  options: { signal: AbortSignal; updatedSinceStart?: boolean; newSinceStart?: boolean },
): Promise<OpenedResults> {
  const core = await import('@catalog-crawl/core');
  if ('vendor' in target) {
    const results =
      kind === 'collections'
        ? core.listCollections(client, target.vendor, { signal: options.signal })
        : core.listListings(client, target.vendor, { signal: options.signal });
    return { vendor: target.vendor, results, approximations: [] };
  }
  const read =
    kind === 'collections'
      ? await core.crawlResults(client, target.executionId, 'collections', {
          signal: options.signal,
          updatedSinceStart: options.updatedSinceStart === true,
        })
      : await core.crawlResults(client, target.executionId, 'listings', {
          signal: options.signal,
          updatedSinceStart: options.updatedSinceStart === true,
          newSinceStart: options.newSinceStart === true,
        });
  const expected = kind === 'collections' ? read.expected.collections : read.expected.listings;
  return {
    vendor: read.vendor,
    results: read.results,
    approximations: read.approximations,
    ...(expected !== undefined ? { expected } : {}),
  };
}

/**
 * Runs `body` with a signal that Ctrl-C/SIGTERM aborts: an interrupted export leaves no file behind, an
 * interrupted `cancel --when-running` cancels nothing; both exit 130 (143 on SIGTERM). A second signal leaves
 * at once.
 */
export async function withInterrupts(
  ctx: CliContext,
  body: (signal: AbortSignal) => Promise<number>,
  stoppedMessage: (how: 'Ctrl-C' | 'SIGTERM') => string = (how) =>
    `Stopped reading results on ${how} (a file is written only when the read completes).`,
): Promise<number> {
  const controller = new AbortController();
  let signalName: 'SIGINT' | 'SIGTERM' | undefined;
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((name) => {
    const listener = () => {
      const code = name === 'SIGTERM' ? EXIT.TERMINATED : EXIT.INTERRUPTED;
      if (controller.signal.aborted) {
        ctx.out.errLine('Interrupted again: exiting now.');
        ctx.forceExit(code);
        return;
      }
      signalName = name;
      controller.abort(new Error(`${name} received`));
    };
    ctx.signals.on(name, listener);
    return { name, listener };
  });
  try {
    return await body(controller.signal);
  } catch (error) {
    if (signalName && (error as Error)?.name === 'AbortedError') {
      ctx.out.errLine(stoppedMessage(signalName === 'SIGTERM' ? 'SIGTERM' : 'Ctrl-C'));
      return signalName === 'SIGTERM' ? EXIT.TERMINATED : EXIT.INTERRUPTED;
    }
    throw error;
  } finally {
    for (const { name, listener } of handlers) ctx.signals.off(name, listener);
  }
}
