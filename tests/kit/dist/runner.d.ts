import { type Proc, type ProcResult } from './spawn.js';
/**
 * Parses the runner's file-command format, as in GITHUB_OUTPUT and GITHUB_STATE: `name<<delimiter` heredocs
 * or `name=value` lines. Strict on purpose: a malformed file is a bug in the Action, so it throws.
 */
export declare function parseFileCommands(text: string): Record<string, string>;
export interface RunnerFiles {
    /** The step's temporary directory: cwd, HOME and RUNNER_TEMP. */
    dir: string;
    output: string;
    state: string;
    summary: string;
}
export interface ActionRun extends ProcResult {
    outputsText: string;
    outputs: Record<string, string>;
    stateText: string;
    state: Record<string, string>;
    summary: string;
}
export interface ActionSpec {
    /** The bundle to run (`dist/index.js`). */
    entry: string;
    /** Values of the inputs the workflow does not set (see runnerDefaults). */
    defaults: Record<string, string>;
    inputs: Record<string, string>;
    /** STATE_* variables (the post step). */
    state?: Record<string, string>;
    env?: Record<string, string>;
    /** Called once the process is spawned (to watch or signal it). */
    control?: (proc: Proc, files: RunnerFiles) => void;
    killAfterMs?: number;
}
/**
 * Runs the bundle as the runner runs a step: every input as INPUT_<NAME> (uppercased, dashes kept), defaults
 * included; empty GITHUB_OUTPUT / GITHUB_STATE / GITHUB_STEP_SUMMARY files; RUNNER_TEMP; GITHUB_ACTIONS=true;
 * an otherwise clean environment. The files are parsed after exit and the directory removed.
 */
export declare function runAction(spec: ActionSpec): Promise<ActionRun>;
/**
 * Canary hits in everything an Action run wrote: log, outputs, state and summary. The one exception is an
 * `::add-mask::` command for the key or a part of it (the Action masks each line of a key): the runner consumes
 * that command, which is how the key gets masked, and never prints it. `needles` are the texts looked for.
 */
export declare function actionCanaryHits(run: ActionRun, key?: string, needles?: readonly string[]): string[];
//# sourceMappingURL=runner.d.ts.map