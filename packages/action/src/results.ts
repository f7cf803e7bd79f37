// Loaded on demand (dynamic import) only when the `results` input asks for results: the exporters and the
// CSV library stay out of the start-up path.
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { finished } from 'node:stream/promises';
import {
  type CatalogClient,
  type Collection,
  crawlResults,
  type ExportFormat,
  exportResults,
  type Listing,
  type Results,
} from '@catalog-crawl/core';
import type { ResultsChoice } from './inputs.js';

/** How many listings the job summary shows. */
export const SAMPLE_SIZE = 5;

export interface ResultsFile {
  kind: 'listings' | 'collections';
  path: string;
  /** Items written. */
  count: number;
  /** The API's `total_items`, when it sent one. */
  total?: number;
}

/** What was saved for one crawl (in its report). */
export interface CrawlResultsReport {
  /** The directory the files are in (absolute). */
  directory: string;
  files: ResultsFile[];
  /** The first listings, for the summary. */
  sample: Listing[];
  /** Why saving failed (the crawl's outcome stays what it was). */
  error?: string;
}

/** `results-path` made absolute: relative paths are under the workspace (GITHUB_WORKSPACE, else the cwd). */
export function resultsDirectory(path: string, env: Record<string, string | undefined>): string {
  if (isAbsolute(path)) return path;
  return resolve(env['GITHUB_WORKSPACE'] || process.cwd(), path);
}

/**
 * Keeps the first items of each page read while the exporter reads them (for the summary), without a second
 * request. A Proxy rather than a wrapper class: Results keeps its state in private fields, so every other
 * property is read from the real object.
 */
function tapFirst<T>(results: Results<T>, sample: T[], size: number): Results<T> {
  return new Proxy(results, {
    get(target, property) {
      if (property === 'pages') {
        return async function* pages() {
          for await (const page of target.pages()) {
            for (const item of page.items) if (sample.length < size) sample.push(item);
            yield page;
          }
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function saveOne<T extends Listing | Collection>(
  results: Results<T>,
  path: string,
  format: ExportFormat,
  signal: AbortSignal,
): Promise<{ count: number; total?: number }> {
  const out = createWriteStream(path);
  try {
    const summary = await exportResults(results, out, { format, signal });
    out.end();
    await finished(out);
    return summary.total === undefined
      ? { count: summary.items }
      : { count: summary.items, total: summary.total };
  } catch (error) {
    out.destroy();
    throw error;
  }
}

/**
 * Saves a completed crawl's results (its vendor's listings and/or collections, read after completion) as
 * `<dir>/<vendor>.<kind>.<format>`. The vendor comes from the API and is checked to be a hostname by core
 * before it becomes part of a file name.
 */
export async function saveCrawlResults(
  client: CatalogClient,
  executionId: string,
  choice: Exclude<ResultsChoice, 'none'>,
  options: { directory: string; format: ExportFormat; signal: AbortSignal },
): Promise<CrawlResultsReport> {
  await mkdir(options.directory, { recursive: true });
  const kinds: ('listings' | 'collections')[] = choice === 'all' ? ['collections', 'listings'] : [choice];
  const report: CrawlResultsReport = { directory: options.directory, files: [], sample: [] };
  for (const kind of kinds) {
    const read =
      kind === 'listings'
        ? await crawlResults(client, executionId, 'listings', { signal: options.signal })
        : await crawlResults(client, executionId, 'collections', { signal: options.signal });
    const path = join(options.directory, `${read.vendor}.${kind}.${options.format}`);
    const results =
      kind === 'listings'
        ? tapFirst(read.results as Results<Listing>, report.sample, SAMPLE_SIZE)
        : (read.results as Results<Collection>);
    const saved = await saveOne(
      results as Results<Listing | Collection>,
      path,
      options.format,
      options.signal,
    );
    report.files.push({ kind, path, ...saved });
  }
  return report;
}
