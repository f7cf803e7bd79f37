import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ACTION_ENTRY,
  CANARY,
  canaryHits,
  cleanEnv,
  type Proc,
  type ProcResult,
  spawnNode,
} from './common.js';

/**
 * Inputs (with their defaults) and outputs as the runner reads them: from the Action's own action.yml, not a
 * copy that could drift. `${{ ... }}` defaults are expressions the runner would expand; here they are empty.
 */
function readActionYml(): { defaults: Record<string, string>; outputs: string[] } {
  const yml = readFileSync(
    createRequire(import.meta.url).resolve('@catalog-crawl/action/action.yml'),
    'utf8',
  );
  const defaults: Record<string, string> = {};
  const outputs: string[] = [];
  let section = '';
  let name = '';
  for (const line of yml.split('\n')) {
    const top = /^([a-z]+):/.exec(line);
    const key = /^ {2}([a-z-]+):$/.exec(line);
    const value = /^ {4}default: ?(.*)$/.exec(line);
    if (top) section = top[1]!;
    else if (key) {
      name = key[1]!;
      if (section === 'inputs') defaults[name] = '';
      if (section === 'outputs') outputs.push(name);
    } else if (value && section === 'inputs') {
      const raw = value[1]!.trim().replace(/^"(.*)"$/, '$1');
      defaults[name] = raw.startsWith('${{') ? '' : raw;
    }
  }
  return { defaults, outputs };
}

const actionYml = readActionYml();

/** The defaults of action.yml, applied as the runner does (every input is passed, '' when unset). */
export const ACTION_DEFAULTS: Record<string, string> = actionYml.defaults;

/** Every output declared in action.yml. */
export const ACTION_OUTPUTS: readonly string[] = actionYml.outputs;

/** Parses the runner's file-command format (`name<<delimiter` heredocs or `name=value`). */
export function parseFileCommands(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc;
      const value: string[] = [];
      i++;
      while (i < lines.length && lines[i] !== delimiter) value.push(lines[i++]!);
      out[name!] = value.join('\n');
    } else {
      const eq = line.indexOf('=');
      if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
    }
  }
  return out;
}

export interface ActionRun extends ProcResult {
  outputsText: string;
  outputs: Record<string, string>;
  stateText: string;
  state: Record<string, string>;
  summary: string;
}

export interface ActionSpec {
  inputs: Record<string, string>;
  env?: Record<string, string>;
  state?: Record<string, string>;
  /** Called with the running process (to signal it). */
  control?: (proc: Proc) => void;
}

/** Runs the built bundle as the runner does: INPUT_* variables, GITHUB_OUTPUT/STATE/STEP_SUMMARY files. */
export async function runAction(spec: ActionSpec): Promise<ActionRun> {
  const dir = mkdtempSync(join(tmpdir(), 'fault-suite-action-'));
  const files = { output: join(dir, 'output'), state: join(dir, 'state'), summary: join(dir, 'summary') };
  for (const file of Object.values(files)) writeFileSync(file, '');
  const env = cleanEnv({
    HOME: dir,
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    RUNNER_TEMP: dir,
    GITHUB_OUTPUT: files.output,
    GITHUB_STATE: files.state,
    GITHUB_STEP_SUMMARY: files.summary,
    ...spec.env,
  });
  for (const [name, value] of Object.entries({ ...ACTION_DEFAULTS, ...spec.inputs })) {
    env[`INPUT_${name.toUpperCase()}`] = value;
  }
  for (const [name, value] of Object.entries(spec.state ?? {})) env[`STATE_${name}`] = value;
  const proc = spawnNode(ACTION_ENTRY, [], env, { cwd: dir, killAfterMs: 60_000 });
  spec.control?.(proc);
  const result = await proc.result;
  const outputsText = readFileSync(files.output, 'utf8');
  const stateText = readFileSync(files.state, 'utf8');
  const summary = readFileSync(files.summary, 'utf8');
  rmSync(dir, { recursive: true, force: true });
  return {
    ...result,
    outputsText,
    outputs: parseFileCommands(outputsText),
    stateText,
    state: parseFileCommands(stateText),
    summary,
  };
}

/** Canary hits in every face of an Action run (the `::add-mask::` command itself is consumed by the runner). */
export function actionCanaryHits(run: ActionRun, key = CANARY): string[] {
  const stdout = run.stdout
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n');
  return canaryHits(
    { stdout, stderr: run.stderr, outputs: run.outputsText, state: run.stateText, summary: run.summary },
    key,
  );
}
