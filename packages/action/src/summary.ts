import { CRAWL_STEPS, formatCount, formatDuration, type StepHistory } from '@catalog-crawl/core';
import { outcomeMark, positionText } from './log.js';
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
};

/** The four documented steps (plus any unknown ones the API sent), with what was observed of each. */
export function stepRows(report: ActionReport): StepHistory[] {
  const seen = report.history?.steps ?? [];
  const fromCrawl = report.crawl?.steps ?? [];
  const names: string[] = [...CRAWL_STEPS];
  for (const step of [...fromCrawl, ...seen]) if (!names.includes(step.name)) names.push(step.name);
  return names.map((name) => {
    const history = seen.find((step) => step.name === name);
    const status = fromCrawl.find((step) => step.name === name)?.status ?? history?.status ?? 'pending';
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
  const lines: string[] = [];
  stepRows(report).forEach((step, i) => {
    if (step.startedAt === undefined) return;
    const start = step.startedAt;
    const end = Math.max(step.finishedAt ?? endOfWait, start + 1000);
    const tag =
      step.status === 'failed'
        ? 'crit, '
        : step.finishedAt !== undefined
          ? 'done, '
          : step.status === 'running'
            ? 'active, '
            : '';
    lines.push(`    ${mermaidName(step.name)} :${tag}s${i + 1}, ${start}, ${end}`);
  });
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

/** The job summary, as Markdown. Pure; the caller writes it. */
export function buildSummary(report: ActionReport): string {
  const crawl = report.crawl;
  const out: string[] = [headline(report), ''];
  const rows: [string, string][] = [];
  rows.push(['Outcome', `${outcomeMark(report.outcome)} ${code(report.outcome)}`]);
  const vendor = crawl?.vendor ?? report.vendor;
  rows.push(['Vendor', vendor ? escapeMarkdown(vendor) : '—']);
  rows.push(['Execution id', report.executionId ? code(report.executionId) : '—']);
  const status = crawl?.status ?? report.status;
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
  out.push('| | |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`), '');

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
    if (report.outcome !== 'canceled' || report.signal) {
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

  if (report.history || crawl) {
    const startedAt = report.history?.startedAt ?? 0;
    out.push('### Steps', '');
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
    if (chart) out.push('### Timeline', '', chart, '');
    out.push(
      '<sub>Times are when this step observed the change (polled), not the exact server times.</sub>',
      '',
    );
  }
  return out.join('\n');
}
