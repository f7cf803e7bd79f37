import { type ActionOutcome, type ActionReport, outcomeMessage } from './report.js';

/** Every output declared in action.yml, in that order. All are set on every exit path ('' when unknown). */
export const OUTPUT_NAMES = [
  'execution-id',
  'outcome',
  'status',
  'error',
  'vendor',
  'collections-found',
  'listings-found',
  'collections-total',
  'listings-total',
  'duration-ms',
  'started-at',
  'stopped-at',
  'result',
  'crawls',
  'counts',
  'results-path',
  'results-count',
] as const;
export type OutputName = (typeof OUTPUT_NAMES)[number];

/** Worst first: the step's `outcome` with several crawls is the first of these that any crawl has. */
export const OUTCOME_SEVERITY: readonly ActionOutcome[] = [
  'error',
  'failed',
  'timed_out',
  'stalled',
  'canceled',
  'started',
  'completed',
];

function num(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '' : String(value);
}

/** The last status body as received, a parsed snapshot without its raw body, or null when none was read. */
function resultValue(report: ActionReport): unknown {
  const raw = report.crawl?.raw;
  if (raw !== undefined && raw !== null && typeof raw === 'object') return raw;
  if (report.crawl) {
    const { raw: _raw, ...rest } = report.crawl;
    return rest;
  }
  return null;
}

/**
 * The status to report: after a successful DELETE it is `canceled` (the DELETE's word), not the `running`
 * of the last poll before it.
 */
export function reportedStatus(report: ActionReport): string {
  if (report.cancel?.outcome === 'canceled') return 'canceled';
  return report.crawl?.status ?? report.status ?? '';
}

/** One crawl as an item of the `crawls` output (camelCase, like core's types; null when unknown). */
export function crawlJson(report: ActionReport): Record<string, unknown> {
  const crawl = report.crawl;
  return {
    executionId: report.executionId ?? null,
    url: report.url ?? null,
    vendor: crawl?.vendor ?? report.vendor ?? null,
    outcome: report.outcome,
    status: reportedStatus(report) || null,
    error: outcomeMessage(report) || null,
    collectionsFound: crawl?.progress?.collectionsFound ?? null,
    listingsFound: crawl?.progress?.listingsFound ?? null,
    collectionsTotal: crawl?.result?.collectionsTotal ?? null,
    listingsTotal: crawl?.result?.listingsTotal ?? null,
    durationMs: crawl?.durationMs ?? null,
    startedAt: crawl?.startDate ?? null,
    stoppedAt: crawl?.stopDate ?? null,
    startRetries: report.startRetries ?? 0,
    results: report.results
      ? {
          files: report.results.files.map((f) => ({ kind: f.kind, path: f.path, count: f.count })),
          error: report.results.error ?? null,
        }
      : null,
  };
}

/** The results directory and the items saved, over every crawl that saved results ('' when none did). */
function resultsOutputs(reports: readonly ActionReport[]): {
  'results-path': string;
  'results-count': string;
} {
  const saved = reports.map((r) => r.results).filter((r) => r !== undefined);
  if (saved.length === 0) return { 'results-path': '', 'results-count': '' };
  const count = saved.flatMap((r) => r.files).reduce((sum, f) => sum + f.count, 0);
  return { 'results-path': saved[0]!.directory, 'results-count': String(count) };
}

/** `{"total":5,"completed":3,"failed":1,...}`: every outcome, 0 when none. */
export function outcomeCounts(reports: readonly ActionReport[]): Record<string, number> {
  const counts: Record<string, number> = { total: reports.length };
  for (const outcome of [...OUTCOME_SEVERITY].reverse()) counts[outcome] = 0;
  for (const report of reports) counts[report.outcome] = (counts[report.outcome] ?? 0) + 1;
  return counts;
}

export function worstOutcome(reports: readonly ActionReport[]): ActionOutcome {
  return OUTCOME_SEVERITY.find((o) => reports.some((r) => r.outcome === o)) ?? 'error';
}

/** Maps one crawl's report to every output. Pure: the caller writes them. */
export function buildOutputs(report: ActionReport): Record<OutputName, string> {
  const crawl = report.crawl;
  return {
    'execution-id': report.executionId ?? '',
    outcome: report.outcome,
    status: reportedStatus(report),
    error: outcomeMessage(report),
    vendor: crawl?.vendor ?? report.vendor ?? '',
    'collections-found': num(crawl?.progress?.collectionsFound),
    'listings-found': num(crawl?.progress?.listingsFound),
    'collections-total': num(crawl?.result?.collectionsTotal),
    'listings-total': num(crawl?.result?.listingsTotal),
    'duration-ms': num(crawl?.durationMs),
    'started-at': crawl?.startDate ?? '',
    'stopped-at': crawl?.stopDate ?? '',
    result: JSON.stringify(resultValue(report)),
    crawls: JSON.stringify([crawlJson(report)]),
    counts: JSON.stringify(outcomeCounts([report])),
    ...resultsOutputs([report]),
  };
}

function sum(values: (number | undefined)[]): string {
  const known = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
  return known.length === 0 ? '' : String(known.reduce((a, b) => a + b, 0));
}

/**
 * The outputs of a step that waited for several crawls: the worst outcome, one line per crawl (input order)
 * for ids, statuses and vendors, summed counts, the longest duration, the earliest start, the latest stop
 * (once all stopped), and per-crawl JSON in `crawls` and `result`. One crawl gives buildOutputs' values.
 */
export function buildStepOutputs(reports: readonly ActionReport[]): Record<OutputName, string> {
  if (reports.length === 1) return buildOutputs(reports[0]!);
  const crawls = reports.map((r) => r.crawl);
  const lines = (values: string[]) => values.join('\n');
  const starts = crawls.map((c) => c?.startDate).filter((d): d is string => !!d);
  const stops = crawls.map((c) => c?.stopDate);
  const durations = crawls.map((c) => c?.durationMs).filter((d): d is number => d !== undefined);
  return {
    'execution-id': lines(reports.map((r) => r.executionId ?? '')),
    outcome: worstOutcome(reports),
    status: lines(reports.map(reportedStatus)),
    error: lines(
      reports
        .map((r) => [r, outcomeMessage(r)] as const)
        .filter(([, message]) => message !== '')
        .map(([r, message]) => `${r.label ?? r.executionId ?? ''}: ${message}`),
    ),
    vendor: lines(reports.map((r) => r.crawl?.vendor ?? r.vendor ?? '')),
    'collections-found': sum(crawls.map((c) => c?.progress?.collectionsFound)),
    'listings-found': sum(crawls.map((c) => c?.progress?.listingsFound)),
    'collections-total': sum(crawls.map((c) => c?.result?.collectionsTotal)),
    'listings-total': sum(crawls.map((c) => c?.result?.listingsTotal)),
    'duration-ms': durations.length === 0 ? '' : String(Math.max(...durations)),
    'started-at': starts.sort()[0] ?? '',
    'stopped-at': stops.every((d) => !!d) ? (stops as string[]).sort().at(-1)! : '',
    result: JSON.stringify(reports.map(resultValue)),
    crawls: JSON.stringify(reports.map(crawlJson)),
    counts: JSON.stringify(outcomeCounts(reports)),
    ...resultsOutputs(reports),
  };
}
