import { type ChildProcess, spawn } from 'node:child_process';

/**
 * A minimal environment for a child process: no inherited CATALOG_*, GITHUB_*, NO_COLOR or FORCE_COLOR.
 * `extra` adds variables; an `undefined` value removes one.
 */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'SYSTEMROOT']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export interface ProcResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit. */
  durationMs: number;
  /** performance.now() at exit. */
  endedAt: number;
}

export interface Proc {
  child: ChildProcess;
  result: Promise<ProcResult>;
  output(): { stdout: string; stderr: string };
  /** Resolves once stdout+stderr matches; rejects after `timeoutMs` with what was printed. */
  waitFor(test: string | RegExp, timeoutMs?: number): Promise<void>;
}

export interface SpawnOptions {
  cwd?: string;
  /** A hard SIGKILL after this long guards the suite against a hung child (default 90 s). */
  killAfterMs?: number;
  /** Default timeout of waitFor (default 20 s). */
  waitForMs?: number;
  /** The Node binary (default this process's, process.execPath), e.g. Node 24 to run as the runner does. */
  node?: string;
}

/** Spawns `node script ...args` with exactly `env`, collecting stdout and stderr as text. */
export function spawnNode(
  script: string,
  args: readonly string[],
  env: Record<string, string>,
  options: SpawnOptions = {},
): Proc {
  const started = performance.now();
  const child = spawn(options.node ?? process.execPath, [script, ...args], {
    env,
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const watchers: { test: (s: string) => boolean; resolve: () => void }[] = [];
  const check = () => {
    for (const w of [...watchers]) {
      if (w.test(stdout + stderr)) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    check();
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    check();
  });
  const guard = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 90_000);
  const result = new Promise<ProcResult>((resolve, reject) => {
    child.on('error', (error) => {
      clearTimeout(guard);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      const endedAt = performance.now();
      resolve({ code, signal, stdout, stderr, durationMs: endedAt - started, endedAt });
    });
  });
  return {
    child,
    result,
    output: () => ({ stdout, stderr }),
    waitFor(text, timeoutMs = options.waitForMs ?? 20_000) {
      const test = (s: string) => (typeof text === 'string' ? s.includes(text) : text.test(s));
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          const i = watchers.findIndex((w) => w.resolve === done);
          if (i >= 0) watchers.splice(i, 1);
          reject(new Error(`timed out waiting for ${String(text)}; got:\n${stdout}\n${stderr}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        watchers.push({ test, resolve: done });
        check();
      });
    },
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` every `stepMs` until it holds; throws after `timeoutMs`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  stepMs = 50,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(stepMs);
  }
}
