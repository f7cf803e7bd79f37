import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import { SummaryReporter } from './test/lib/summary-reporter.js';

// Every case appends one line to this file; the reporter prints the table from it at the end of the run.
const results = join(tmpdir(), `catalog-crawl-fault-suite-${process.pid}.jsonl`);
writeFileSync(results, '');
process.env['FAULT_SUITE_RESULTS'] = results;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // Two cores: two files at a time (each spawns processes and runs an emulator of its own).
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 30_000,
    reporters: ['default', new SummaryReporter(results)],
  },
});
