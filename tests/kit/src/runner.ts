import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CANARY, canaryHits } from './canary.js';
import { cleanEnv, type Proc, type ProcResult, spawnNode } from './spawn.js';

/**
 * Parses the runner's file-command format, as in GITHUB_OUTPUT and GITHUB_STATE: `name<<delimiter` heredocs
 * or `name=value` lines. Strict on purpose: a malformed file is a bug in the Action, so it throws.
 */
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
      if (i >= lines.length) throw new Error(`unterminated value for ${name}`);
      out[name!] = value.join('\n');
    } else {
      const eq = line.indexOf('=');
      if (eq <= 0) throw new Error(`bad file command line: ${line}`);
      out[line.slice(0, eq)] = line.slice(eq + 1);
    }
  }
  return out;
}

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
  /** The Node binary to run the bundle with (default this process's). */
  node?: string;
}

/**
 * Runs the bundle as the runner runs a step: every input as INPUT_<NAME> (uppercased, dashes kept), defaults
 * included; empty GITHUB_OUTPUT / GITHUB_STATE / GITHUB_STEP_SUMMARY files; RUNNER_TEMP; GITHUB_ACTIONS=true;
 * an otherwise clean environment. The files are parsed after exit and the directory removed.
 */
export async function runAction(spec: ActionSpec): Promise<ActionRun> {
  const dir = mkdtempSync(join(tmpdir(), 'catalog-crawl-action-run-'));
  const files: RunnerFiles = {
    dir,
    output: join(dir, 'output'),
    state: join(dir, 'state'),
    summary: join(dir, 'summary'),
  };
  for (const file of [files.output, files.state, files.summary]) writeFileSync(file, '');
  try {
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
    for (const [name, value] of Object.entries({ ...spec.defaults, ...spec.inputs })) {
      env[`INPUT_${name.toUpperCase()}`] = value;
    }
    for (const [name, value] of Object.entries(spec.state ?? {})) env[`STATE_${name}`] = value;
    const proc = spawnNode(spec.entry, [], env, {
      cwd: dir,
      killAfterMs: spec.killAfterMs ?? 60_000,
      ...(spec.node ? { node: spec.node } : {}),
    });
    spec.control?.(proc, files);
    const result = await proc.result;
    const outputsText = readFileSync(files.output, 'utf8');
    const stateText = readFileSync(files.state, 'utf8');
    return {
      ...result,
      outputsText,
      outputs: parseFileCommands(outputsText),
      stateText,
      state: parseFileCommands(stateText),
      summary: readFileSync(files.summary, 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Canary hits in everything an Action run wrote: log, outputs, state and summary. The one exception is an
 * `::add-mask::` command for the key, a part of it (the Action masks each line of a key) or a value holding it
 * (a key input with a line break): the runner consumes that command, which is how the key gets masked, and
 * never prints it. `needles` are the texts looked for.
 */
export function actionCanaryHits(run: ActionRun, key = CANARY, needles: readonly string[] = [key]): string[] {
  const stdout = run.stdout
    .split('\n')
    .filter((line) => {
      const command = /^::add-mask::(.+)$/.exec(line)?.[1];
      // Undo the runner's escaping of command data (%, CR, LF), as the runner does before masking.
      const masked = command?.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
      return masked === undefined || !(masked.includes(key) || key.includes(masked));
    })
    .join('\n');
  return canaryHits(
    { stdout, stderr: run.stderr, outputs: run.outputsText, state: run.stateText, summary: run.summary },
    needles,
  );
}
