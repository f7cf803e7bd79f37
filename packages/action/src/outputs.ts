import { type ActionReport, outcomeMessage } from './report.js';

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
] as const;
export type OutputName = (typeof OUTPUT_NAMES)[number];

function num(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '' : String(value);
}

/** The JSON of the last status: the API's body as received, or `null` when no status was ever read. */
function resultJson(report: ActionReport): string {
  const raw = report.crawl?.raw;
  if (raw !== undefined && raw !== null && typeof raw === 'object') return JSON.stringify(raw);
  if (report.crawl) {
    const { raw: _raw, ...rest } = report.crawl;
    return JSON.stringify(rest);
  }
  return 'null';
}

/** Maps a report to the 13 outputs. Pure: the caller writes them. */
export function buildOutputs(report: ActionReport): Record<OutputName, string> {
  const crawl = report.crawl;
  return {
    'execution-id': report.executionId ?? '',
    outcome: report.outcome,
    status: crawl?.status ?? report.status ?? '',
    error: outcomeMessage(report),
    vendor: crawl?.vendor ?? report.vendor ?? '',
    'collections-found': num(crawl?.progress?.collectionsFound),
    'listings-found': num(crawl?.progress?.listingsFound),
    'collections-total': num(crawl?.result?.collectionsTotal),
    'listings-total': num(crawl?.result?.listingsTotal),
    'duration-ms': num(crawl?.durationMs),
    'started-at': crawl?.startDate ?? '',
    'stopped-at': crawl?.stopDate ?? '',
    result: resultJson(report),
  };
}
