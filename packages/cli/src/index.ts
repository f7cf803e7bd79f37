// The CLI's programmatic surface: run it as the bin does (argv, streams, environment, signals).
export { type RunOptions, run } from './cli.js';
