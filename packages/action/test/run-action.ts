import type { ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type ActionRun,
  actionCanaryHits,
  CANARY,
  readActionYml,
  runAction as runBundle,
  runnerDefaults,
} from '@catalog-crawl/test-kit';
import { expect } from 'vitest';
import { OUTPUT_NAMES } from '../src/outputs.js';

export { type ActionRun, parseFileCommands } from '@catalog-crawl/test-kit';

export const ACTION_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const ENTRY = join(ACTION_DIR, 'dist', 'index.js');

/** What the runner passes for inputs the workflow does not set, read from action.yml. */
const DEFAULTS = runnerDefaults(readActionYml(join(ACTION_DIR, 'action.yml')));

export interface RunSpec {
  inputs: Record<string, string>;
  /** STATE_* variables (the post step). */
  state?: Record<string, string>;
  env?: Record<string, string>;
  /** Called once the process is spawned; may signal it. */
  control?: (child: ChildProcess, files: { dir: string; state: string; stdout: () => string }) => void;
}

/** Runs `node dist/index.js` as the runner does (see the test kit's runAction). */
export function runAction(spec: RunSpec): Promise<ActionRun> {
  const { control } = spec;
  return runBundle({
    entry: ENTRY,
    defaults: DEFAULTS,
    inputs: spec.inputs,
    state: spec.state,
    env: spec.env,
    // ACTION_TEST_NODE runs the bundle on another Node, e.g. Node 24 as the runner does
    // (`ACTION_TEST_NODE=$(npx -y node@24 -p process.execPath)`).
    ...(process.env['ACTION_TEST_NODE'] ? { node: process.env['ACTION_TEST_NODE'] } : {}),
    control:
      control &&
      ((proc, files) =>
        control(proc.child, { dir: files.dir, state: files.state, stdout: () => proc.output().stdout })),
  });
}

/**
 * The canary key is in none of the files nor the log. The one exception is the `::add-mask::` command
 * itself, which the runner consumes (it is how the key gets masked) and never prints.
 */
export function expectNoCanary(run: ActionRun, key = CANARY): void {
  expect(actionCanaryHits(run, key, [key, CANARY]), 'canary key in the run').toEqual([]);
}

/** Every output of action.yml (main.test.ts checks OUTPUT_NAMES against it) is set, whatever the exit path. */
export function expectAllOutputs(run: ActionRun): void {
  expect(Object.keys(run.outputs).sort()).toEqual([...OUTPUT_NAMES].sort());
  expect(() => JSON.parse(run.outputs['result']!)).not.toThrow();
}
