import { existsSync, readFileSync, rmSync } from 'node:fs';
import { basename } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

interface Row {
  tests: number;
  testsFailed: number;
  knownBugs: number;
  cases: number;
  passed: number;
  failed: number;
}

const ORDER = [
  'faults',
  'lost-contact',
  'bad-input',
  'hostile',
  'secrets',
  'signals',
  'results',
  'cancel',
  'vocabulary',
];

/**
 * Prints, at the end of the run, one row per category (= test file): the vitest tests, the cases each
 * recorded through `track`/`record` (one wait, one bad input, one property run...), passed and failed, and the
 * known open bugs (`it.fails` regression tests that still fail as expected).
 */
export class SummaryReporter implements Reporter {
  constructor(private readonly file: string) {}

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const rows = new Map<string, Row>();
    const row = (name: string) => {
      let r = rows.get(name);
      if (!r) {
        r = { tests: 0, testsFailed: 0, knownBugs: 0, cases: 0, passed: 0, failed: 0 };
        rows.set(name, r);
      }
      return r;
    };
    for (const module of testModules) {
      const category = basename(module.moduleId).replace(/\.test\.ts$/, '');
      const r = row(category);
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'skipped' || state === 'pending') continue;
        r.tests++;
        if (state === 'failed') r.testsFailed++;
        if (test.options.fails && state === 'passed') r.knownBugs++;
      }
    }
    if (existsSync(this.file)) {
      for (const line of readFileSync(this.file, 'utf8').split('\n')) {
        if (line.trim() === '') continue;
        const entry = JSON.parse(line) as { category: string; ok: boolean };
        const r = row(entry.category);
        r.cases++;
        if (entry.ok) r.passed++;
        else r.failed++;
      }
      rmSync(this.file, { force: true });
    }
    const names = [...rows.keys()].sort(
      (a, b) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99) || a.localeCompare(b),
    );
    const header = [
      'category',
      'cases tried',
      'passed',
      'failed',
      'vitest tests',
      'tests failed',
      'open bugs',
    ];
    const body = names.map((name) => {
      const r = rows.get(name)!;
      return [name, r.cases, r.passed, r.failed, r.tests, r.testsFailed, r.knownBugs].map(String);
    });
    const total = ['total', 0, 0, 0, 0, 0, 0].map(String);
    for (const line of body)
      for (let i = 1; i < line.length; i++) total[i] = String(Number(total[i]) + Number(line[i]));
    const table = [header, ...body, total];
    const widths = header.map((_, i) => Math.max(...table.map((line) => line[i]!.length)));
    const fmt = (line: string[]) =>
      `| ${line.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(' | ')} |`;
    const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
    process.stdout.write(
      `\nFault suite summary (a case is one wait, one input, one property run, one signal...):\n${[fmt(header), rule, ...body.map(fmt), rule, fmt(total)].join('\n')}\n\n`,
    );
  }
}
