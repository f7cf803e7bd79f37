import { join } from 'node:path';
import {
  type ActionRun,
  type Proc,
  readActionYml,
  runAction as runBundle,
  runnerDefaults,
} from '@catalog-crawl/test-kit';
import { ACTION_DIR, ACTION_ENTRY } from './common.js';

export { type ActionRun, actionCanaryHits, parseFileCommands } from '@catalog-crawl/test-kit';

/**
 * Inputs (with their defaults) and outputs as the runner reads them: from the Action's own action.yml, not a
 * copy that could drift. `${{ ... }}` defaults are expressions the runner would expand; here they are empty.
 */
const actionYml = readActionYml(join(ACTION_DIR, 'action.yml'));

/** The defaults of action.yml, applied as the runner does (every input is passed, '' when unset). */
export const ACTION_DEFAULTS: Record<string, string> = runnerDefaults(actionYml);

/** Every output declared in action.yml. */
export const ACTION_OUTPUTS: readonly string[] = Object.keys(actionYml.outputs);

export interface ActionSpec {
  inputs: Record<string, string>;
  env?: Record<string, string>;
  state?: Record<string, string>;
  /** Called with the running process (to signal it). */
  control?: (proc: Proc) => void;
}

/** Runs the built bundle as the runner does (see the test kit's runAction), without colours. */
export function runAction(spec: ActionSpec): Promise<ActionRun> {
  return runBundle({
    ...spec,
    entry: ACTION_ENTRY,
    defaults: ACTION_DEFAULTS,
    env: { NO_COLOR: '1', ...spec.env },
  });
}
