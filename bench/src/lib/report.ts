import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** A correctness check: a benchmark exits non-zero when one fails (never on a timing). */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

/** A performance target: reported as met or missed, never a reason to fail. */
export interface Target {
  name: string;
  met: boolean;
  statement: string;
}

export interface BenchReport {
  id: string;
  title: string;
  /** Markdown: how it is measured. */
  method: string;
  /** Markdown: the figures (tables). */
  figures: string;
  targets: Target[];
  checks: Check[];
  notes: string[];
  /** Wall time of the benchmark itself. */
  runMs: number;
}

export function checksPassed(report: Pick<BenchReport, 'checks'>): boolean {
  return report.checks.every((c) => c.ok);
}

export function renderReport(report: BenchReport): string {
  const parts = [`## ${report.title}`, '', '**Method.**', '', report.method.trim(), '', '**Figures.**', ''];
  parts.push(report.figures.trim(), '');
  if (report.targets.length > 0) {
    parts.push('**Targets.**', '');
    for (const t of report.targets)
      parts.push(`- ${t.name}: **${t.met ? 'met' : 'missed'}**. ${t.statement}`);
    parts.push('');
  }
  parts.push('**Correctness checks** (the benchmark exits non-zero when one fails).', '');
  for (const c of report.checks) parts.push(`- ${c.ok ? 'PASS' : 'FAIL'} ${c.name}: ${c.detail}`);
  parts.push('');
  if (report.notes.length > 0) {
    parts.push('**Notes.**', '');
    for (const n of report.notes) parts.push(`- ${n}`);
    parts.push('');
  }
  parts.push(`_Benchmark run time: ${(report.runMs / 1000).toFixed(1)} s._`, '');
  return parts.join('\n');
}

/** True when the module at `moduleUrl` is the script node was started with. */
export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && pathToFileURL(entry).href === moduleUrl;
}

/**
 * Runs a benchmark as a command: prints its markdown section, writes the JSON report when called with
 * `--report <file>`, and sets a non-zero exit code when a correctness check failed.
 */
export async function runAsCommand(run: () => Promise<Omit<BenchReport, 'runMs'>>): Promise<void> {
  const started = performance.now();
  let report: BenchReport;
  try {
    report = { ...(await run()), runMs: performance.now() - started };
  } catch (error) {
    console.error(error);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(`${renderReport(report)}\n`);
  const i = process.argv.indexOf('--report');
  const file = i >= 0 ? process.argv[i + 1] : undefined;
  if (file) writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  if (!checksPassed(report)) {
    console.error(`${report.id}: correctness check failed`);
    process.exitCode = 1;
  }
}
