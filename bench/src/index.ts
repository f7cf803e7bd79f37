/** Shared helpers of the benchmarks (the package is private; each benchmark is a command in dist/). */

export { createRandom, hashSeed, logUniform, uniform } from '@catalog-crawl/test-kit';
export { type MachineInfo, machineInfo } from './lib/machine.js';
export { type BenchReport, type Check, renderReport, type Target } from './lib/report.js';
export { fmt, max, maxInWindow, mean, median, pct, percentile, table } from './lib/stats.js';
