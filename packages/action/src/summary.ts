import {
  CRAWL_STEPS,
  firstImageUrl,
  formatCount,
  formatDuration,
  type Listing,
  type StepHistory,
} from '@catalog-crawl/core';
import { outcomeMark, positionText } from './log.js';
import { outcomeCounts, reportedStatus, worstOutcome } from './outputs.js';
import { type ActionReport, outcomeMessage } from './report.js';

/** Escapes text for a Markdown table cell or paragraph (no HTML, no table breaks, one line). */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/\r?\n|\r/g, ' ')
    .replace(/[\\`*_[\]]/g, (match) => `\\${match}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|');
}

/**
 * An http(s) URL from the API made safe for a Markdown link target and a table cell (characters that could
 * end either, or an HTML attribute, are percent-encoded; `&` stays, escape it in HTML); undefined for anything
 * else (javascript:, data:...).
 */
export function safeUrl(value: string | undefined): string | undefined {
  if (!value) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  return url.href.replace(
    /[()<>"'`|\\\s[\]]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
}

function money(value: number, currency: string | undefined): string {
  if (currency && /^[A-Z]{3}$/.test(currency)) {
    try {
      return new Intl.NumberFormat('en-US', { style: 'currency', currency }).format(value);
    } catch {
      // an unknown code: shown as given below
    }
  }
  return `${value}${currency ? ` ${escapeMarkdown(currency)}` : ''}`;
}

function priceText(listing: Listing): string {
  const price = listing.price;
  if (price?.currentValue === undefined) return '—';
  const now = money(price.currentValue, price.currency);
  const before = price.compareAtValue;
  return typeof before === 'number' && before > price.currentValue
    ? `${now} ~~${money(before, price.currency)}~~`
    : now;
}

function clipText(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** "What was found": the first listings (image, linked name, price), how many more, the files saved. */
function foundSection(report: ActionReport, heading: string): string[] {
  const results = report.results;
  if (!results) return [];
  const out = [`${heading} What was found`, ''];
  if (results.error !== undefined) {
    out.push('> [!CAUTION]', `> The results could not be saved: ${escapeMarkdown(results.error)}`, '');
    return out;
  }
  const listings = results.files.find((f) => f.kind === 'listings');
  if (listings && results.sample.length > 0) {
    out.push('| | Listing | Price |', '|---|---|---|');
    for (const listing of results.sample) {
      const image = safeUrl(firstImageUrl(listing));
      const link = safeUrl(listing.url);
      const name = escapeMarkdown(clipText(listing.name ?? listing.id, 80));
      out.push(
        `| ${image ? `<img src="${image.replace(/&/g, '&amp;')}" alt="" width="48" height="48">` : ''} | ${link ? `[${name}](${link})` : name} | ${priceText(listing)} |`,
      );
    }
    const total = Math.max(listings.total ?? listings.count, listings.count);
    const more = total - results.sample.length;
    const rest = more === 1 ? '…and 1 more listing.' : `…and ${formatCount(more)} more listings.`;
    out.push('', more > 0 ? rest : 'That is every listing.', '');
  } else if (listings) {
    out.push('No listings are indexed for this vendor yet.', '');
  }
  const files = results.files.map((f) => `${code(f.path)} (${formatCount(f.count)} ${f.kind})`);
  if (files.length > 0) out.push(`Saved: ${files.join(', ')}.`, '');
  return out;
}

function code(text: string): string {
  return `\`${text.replace(/`/g, "'").replace(/\r?\n|\r/g, ' ')}\``;
}

function clock(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(11, 19);
}

function when(at: number | undefined, startedAt: number): string {
  if (at === undefined) return '—';
  return `+${formatDuration(Math.max(0, at - startedAt))} (${clock(at)} UTC)`;
}

const STEP_MARKS: Record<string, string> = {
  completed: '✅',
  running: '🔄',
  failed: '❌',
  pending: '⏳',
  canceled: '⛔',
};

/** The four documented steps (plus any unknown ones the API sent), with what was observed of each. */
export function stepRows(report: ActionReport): StepHistory[] {
  const seen = report.history?.steps ?? [];
  const fromCrawl = report.crawl?.steps ?? [];
  const names: string[] = [...CRAWL_STEPS];
  for (const step of [...fromCrawl, ...seen]) if (!names.includes(step.name)) names.push(step.name);
  // After a successful cancel, the step the last poll saw running was stopped: it is not running any more.
  const canceled = report.cancel?.outcome === 'canceled';
  return names.map((name) => {
    const history = seen.find((step) => step.name === name);
    const last = fromCrawl.find((step) => step.name === name)?.status ?? history?.status ?? 'pending';
    const status = canceled && last === 'running' ? 'canceled' : last;
    const row: StepHistory = { name, status };
    if (history?.startedAt !== undefined) row.startedAt = history.startedAt;
    if (history?.finishedAt !== undefined) row.finishedAt = history.finishedAt;
    return row;
  });
}

function mermaidName(name: string): string {
  return name.replace(/[:;#\r\n]/g, ' ').trim() || 'step';
}

/** A mermaid gantt chart of the steps as observed (waiter clock); undefined when no step was seen. */
export function timelineChart(report: ActionReport): string | undefined {
  const history = report.history;
  if (!history) return undefined;
  const endOfWait = history.startedAt + report.elapsedMs;
  // Steps first seen in the same poll (e.g. already finished at the first poll) have the same observed
  // times: one bar naming them all, rather than identical bars drawn on top of each other.
  const bars: { names: string[]; start: number; end: number; tag: string; index: number }[] = [];
  stepRows(report).forEach((step, i) => {
    if (step.startedAt === undefined) return;
    const start = step.startedAt;
    const end = Math.max(step.finishedAt ?? endOfWait, start + 1000);
    const tag =
      step.status === 'failed' || step.status === 'canceled'
        ? 'crit, '
        : step.finishedAt !== undefined
          ? 'done, '
          : step.status === 'running'
            ? 'active, '
            : '';
    const same = bars.find((bar) => bar.start === start && bar.end === end && bar.tag === tag);
    if (same) same.names.push(mermaidName(step.name));
    else bars.push({ names: [mermaidName(step.name)], start, end, tag, index: i + 1 });
  });
  const lines = bars.map(
    (bar) => `    ${bar.names.join(' + ')} :${bar.tag}s${bar.index}, ${bar.start}, ${bar.end}`,
  );
  if (lines.length === 0) return undefined;
  return [
    '```mermaid',
    'gantt',
    '    title Steps as observed by the polls',
    '    dateFormat x',
    '    axisFormat %H:%M:%S',
    '    section Crawl',
    ...lines,
    '```',
  ].join('\n');
}

function headline(report: ActionReport): string {
  const mark = outcomeMark(report.outcome);
  const vendor = report.crawl?.vendor ?? report.vendor;
  const what: Record<ActionReport['outcome'], string> = {
    completed: 'completed',
    started: 'started',
    failed: 'failed',
    canceled: 'canceled',
    timed_out: 'timed out',
    stalled: 'stalled',
    error: 'error',
  };
  return `## ${mark} Catalog crawl ${what[report.outcome]}${vendor ? `: ${escapeMarkdown(vendor)}` : ''}`;
}

/** The job summary of one crawl, as Markdown. Pure; the caller writes it. `depth` 1 nests it (one section per crawl). */
export function buildSummary(report: ActionReport, depth = 0): string {
  const crawl = report.crawl;
  const h = (n: number) => '#'.repeat(n + depth);
  const out: string[] = [headline(report).replace(/^## /, `${h(2)} `), ''];
  const rows: [string, string][] = [];
  const vendor = crawl?.vendor ?? report.vendor;
  rows.push(['Vendor', vendor ? escapeMarkdown(vendor) : '—']);
  if (report.url !== undefined && report.url !== vendor) rows.push(['URL', escapeMarkdown(report.url)]);
  rows.push(['Execution id', report.executionId ? code(report.executionId) : '—']);
  const status = reportedStatus(report);
  rows.push(['API status', status ? code(status) : '—']);
  const durations: string[] = [];
  if (crawl?.durationMs !== undefined) durations.push(`${formatDuration(crawl.durationMs)} (crawl)`);
  durations.push(`${formatDuration(report.elapsedMs)} (this step)`);
  rows.push(['Duration', durations.join(', ')]);
  if (crawl?.result) {
    rows.push(['Collections', formatCount(crawl.result.collectionsTotal)]);
    rows.push(['Listings', formatCount(crawl.result.listingsTotal)]);
  } else if (crawl?.progress) {
    rows.push(['Collections found', formatCount(crawl.progress.collectionsFound)]);
    rows.push(['Listings found', formatCount(crawl.progress.listingsFound)]);
  }
  if (crawl?.startDate) rows.push(['Started', escapeMarkdown(crawl.startDate)]);
  if (crawl?.stopDate) rows.push(['Stopped', escapeMarkdown(crawl.stopDate)]);
  if (report.history) {
    const retried = report.retries ?? report.history.transientErrors;
    rows.push([
      'Polls',
      `${report.history.polls}${retried ? ` (${retried} transient error(s) retried)` : ''}`,
    ]);
  }
  if (report.startRetries) rows.push(['Start retries', `${report.startRetries} (POST /v2/crawl retried)`]);
  // The first row is the table's header: no empty header row above it.
  out.push(
    `| Outcome | ${outcomeMark(report.outcome)} ${code(report.outcome)} |`,
    '|---|---|',
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
    '',
  );

  const message = outcomeMessage(report);
  if (report.outcome === 'failed' || report.outcome === 'error') {
    out.push('> [!CAUTION]');
    out.push(`> **Error:** ${escapeMarkdown(message)}`);
    const requestId = report.error?.requestId ?? crawl?.requestId;
    if (requestId) out.push('>', `> **Request id:** ${code(requestId)} (quote it to Catalog support)`);
    if (report.error?.code) out.push('>', `> **Code:** ${code(report.error.code)}`);
    out.push('');
  } else if (
    report.outcome === 'timed_out' ||
    report.outcome === 'stalled' ||
    report.outcome === 'canceled'
  ) {
    out.push('> [!WARNING]');
    out.push(`> ${escapeMarkdown(message)}`);
    if (report.cancel?.outcome === 'canceled') {
      // the last poll's `running` is not true any more
      const where = positionText(crawl, { withStatus: false });
      if (where) out.push('>', `> **Last seen before the cancel:** ${escapeMarkdown(where)}`);
    } else if (report.outcome !== 'canceled' || report.signal) {
      out.push('>', `> **Last seen:** ${escapeMarkdown(positionText(crawl))}`);
      if (crawl?.requestId) out.push('>', `> **Request id of the last poll:** ${code(crawl.requestId)}`);
    }
    out.push('');
  } else if (report.outcome === 'started') {
    out.push(
      `The crawl was started and not waited for (\`wait: false\`). Wait for it later with \`execution-id: ${report.executionId ?? ''}\`.`,
      '',
    );
  }

  out.push(...foundSection(report, h(3)));

  if (report.history || crawl) {
    const startedAt = report.history?.startedAt ?? 0;
    out.push(`${h(3)} Steps`, '');
    out.push('| # | Step | Last status | Seen running | Seen finished |', '|---|---|---|---|---|');
    stepRows(report).forEach((step, i) => {
      const mark = STEP_MARKS[step.status] ?? '❔';
      const started = report.history ? when(step.startedAt, startedAt) : '—';
      const finished = report.history ? when(step.finishedAt, startedAt) : '—';
      out.push(
        `| ${i + 1} | ${escapeMarkdown(step.name)} | ${mark} ${escapeMarkdown(step.status)} | ${started} | ${finished} |`,
      );
    });
    out.push('');
    const chart = timelineChart(report);
    if (chart) out.push(`${h(3)} Timeline`, '', chart, '');
    out.push(
      '<sub>Times are when this step observed the change (polled), not the exact server times.</sub>',
      '',
    );
  }
  return out.join('\n');
}

/** The anchor of a crawl's section in the step summary (GitHub prefixes ids; links to `#id` still work). */
function anchor(index: number): string {
  return `crawl-${index + 1}`;
}

/**
 * The job summary of a step: one crawl gives buildSummary; several give a table with a row per crawl
 * (outcome, duration, counts, a link to its section), then one section per crawl.
 */
export function buildStepSummary(reports: readonly ActionReport[]): string {
  if (reports.length === 1) return buildSummary(reports[0]!);
  const counts = outcomeCounts(reports);
  const parts = Object.entries(counts)
    .filter(([name, n]) => name !== 'total' && n > 0)
    .map(([name, n]) => `${n} ${name.replace('_', ' ')}`);
  const out: string[] = [
    `## ${outcomeMark(worstOutcome(reports))} Catalog crawls: ${parts.join(', ')}`,
    '',
    '| # | Crawl | Outcome | Duration | Collections | Listings |',
    '|---|---|---|---|---|---|',
  ];
  reports.forEach((report, i) => {
    const crawl = report.crawl;
    const name = escapeMarkdown(crawl?.vendor ?? report.vendor ?? report.label ?? report.executionId ?? '?');
    const duration =
      crawl?.durationMs !== undefined
        ? formatDuration(crawl.durationMs)
        : `${formatDuration(report.elapsedMs)} (step)`;
    const collections = crawl?.result?.collectionsTotal ?? crawl?.progress?.collectionsFound;
    const listings = crawl?.result?.listingsTotal ?? crawl?.progress?.listingsFound;
    out.push(
      `| ${i + 1} | [${name}](#${anchor(i)}) | ${outcomeMark(report.outcome)} ${code(report.outcome)} | ${duration} | ${collections === undefined ? '—' : formatCount(collections)} | ${listings === undefined ? '—' : formatCount(listings)} |`,
    );
  });
  out.push('');
  reports.forEach((report, i) => {
    out.push(`<a id="${anchor(i)}"></a>`, '', buildSummary(report, 1));
  });
  return out.join('\n');
}
