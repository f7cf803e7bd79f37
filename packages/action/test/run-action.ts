import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { INPUT_DEFAULTS } from '../src/inputs.js';
import { OUTPUT_NAMES } from '../src/outputs.js';
import { CANARY } from './fixtures.js';

export const ACTION_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const ENTRY = join(ACTION_DIR, 'dist', 'index.js');

/** Parses the runner's file-command format (`name<<delimiter\nvalue\ndelimiter`), as GITHUB_OUTPUT and GITHUB_STATE. */
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
      if (eq < 0) throw new Error(`bad file command line: ${line}`);
      out[line.slice(0, eq)] = line.slice(eq + 1);
    }
  }
  return out;
}

export interface ActionRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  outputsText: string;
  outputs: Record<string, string>;
  stateText: string;
  state: Record<string, string>;
  summary: string;
  durationMs: number;
}

export interface RunSpec {
  inputs: Record<string, string>;
  /** STATE_* variables (the post step). */
  state?: Record<string, string>;
  env?: Record<string, string>;
  /** Called once the process is spawned; may signal it. */
  control?: (child: ChildProcess, files: { dir: string; state: string; stdout: () => string }) => void;
}

/**
 * Runs `node dist/index.js` as the runner does: every input as INPUT_<NAME> (uppercased, dashes kept), with
 * the action.yml defaults for inputs not given, empty GITHUB_OUTPUT / GITHUB_STATE / GITHUB_STEP_SUMMARY
 * files, RUNNER_TEMP and GITHUB_ACTIONS=true.
 */
export async function runAction(spec: RunSpec): Promise<ActionRun> {
  const dir = mkdtempSync(join(tmpdir(), 'catalog-crawl-action-e2e-'));
  const files = {
    output: join(dir, 'output'),
    state: join(dir, 'state'),
    summary: join(dir, 'summary'),
  };
  for (const file of Object.values(files)) writeFileSync(file, '');
  const inputs: Record<string, string> = {
    ...INPUT_DEFAULTS,
    'github-token': '',
    url: '',
    'execution-id': '',
  };
  Object.assign(inputs, spec.inputs);
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    HOME: dir,
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    RUNNER_TEMP: dir,
    GITHUB_OUTPUT: files.output,
    GITHUB_STATE: files.state,
    GITHUB_STEP_SUMMARY: files.summary,
    ...spec.env,
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  for (const [name, value] of Object.entries(spec.state ?? {})) env[`STATE_${name}`] = value;

  const started = Date.now();
  // ACTION_TEST_NODE runs the bundle on another Node (e.g. Node 24, the runner's: `npx -y node@24 -p process.execPath`).
  const node = process.env['ACTION_TEST_NODE'] || process.execPath;
  const child = spawn(node, [ENTRY], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  spec.control?.(child, { dir, state: files.state, stdout: () => stdout });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('close', (c, s) => resolve([c, s])),
  );
  const outputsText = readFileSync(files.output, 'utf8');
  const stateText = readFileSync(files.state, 'utf8');
  const summary = readFileSync(files.summary, 'utf8');
  rmSync(dir, { recursive: true, force: true });
  return {
    code,
    signal,
    stdout,
    stderr,
    outputsText,
    outputs: parseFileCommands(outputsText),
    stateText,
    state: parseFileCommands(stateText),
    summary,
    durationMs: Date.now() - started,
  };
}

/**
 * The canary key is in none of the files nor the log. The one exception is the `::add-mask::` command
 * itself, which the runner consumes (it is how the key gets masked) and never prints.
 */
export function expectNoCanary(run: ActionRun, key = CANARY): void {
  const stdout = run.stdout
    .split('\n')
    .filter((line) => line !== `::add-mask::${key}`)
    .join('\n');
  for (const [what, text] of Object.entries({
    stdout,
    stderr: run.stderr,
    outputs: run.outputsText,
    state: run.stateText,
    summary: run.summary,
  })) {
    expect(text, `canary key in ${what}`).not.toContain(CANARY);
  }
}

/** Every output of action.yml (main.test.ts checks OUTPUT_NAMES against it) is set, whatever the exit path. */
export function expectAllOutputs(run: ActionRun): void {
  expect(Object.keys(run.outputs).sort()).toEqual([...OUTPUT_NAMES].sort());
  expect(() => JSON.parse(run.outputs['result']!)).not.toThrow();
}
