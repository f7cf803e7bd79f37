import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** The npm packages, by folder under packages/. The Action is private: released by git tags only. */
export const PUBLIC_PACKAGES = ['core', 'cli', 'mcp-server', 'emulator'] as const;
export const EMULATOR_KEY = 'catalog-emulator-key';

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON (JSON-RPC answers, manifests), read field by field by the assertions
export type Json = any;

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const KEEP_ENV =
  /^(PATH|HOME|TMPDIR|LANG|npm_config_cache|NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|SSL_CERT_DIR|https?_proxy|no_proxy|HTTPS?_PROXY|NO_PROXY)$/;

/** An environment without the developer's Catalog settings, npm config from the workspace or GitHub state. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    // The machine's way to the npm registry (proxy, extra CA) stays; everything else goes.
    if (value !== undefined && KEEP_ENV.test(name)) env[name] = value;
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

export interface Proc {
  child: ChildProcess;
  output(): { stdout: string; stderr: string };
  /** Resolves when stdout+stderr match; rejects with the output so far after `ms` or when the process ends. */
  waitFor(pattern: RegExp, ms: number): Promise<RegExpExecArray>;
  result: Promise<Result>;
  stop(): Promise<Result>;
}

/** Spawns a process that is killed after `killAfterMs` whatever happens, so that no test can hang. */
export function start(
  command: string,
  args: string[],
  options: {
    cwd?: string;
    env?: Record<string, string>;
    /** Written to stdin, which is then closed; `openStdin` keeps stdin open for the caller instead. */
    input?: string;
    openStdin?: boolean;
    killAfterMs?: number;
  } = {},
): Proc {
  const child = spawn(command, args, {
    cwd: options.cwd ?? ROOT,
    env: options.env ?? cleanEnv(),
    stdio: [options.input === undefined && !options.openStdin ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    for (const l of listeners) l();
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    for (const l of listeners) l();
  });
  if (options.input !== undefined) child.stdin?.end(options.input);
  const killer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 300_000);
  const result = new Promise<Result>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      for (const l of listeners) l();
      resolve({ code, signal, stdout, stderr });
    });
  });
  let ended = false;
  void result.then(
    () => {
      ended = true;
    },
    () => {
      ended = true;
    },
  );
  return {
    child,
    output: () => ({ stdout, stderr }),
    result,
    waitFor(pattern, ms) {
      return new Promise((resolve, reject) => {
        const fail = (why: string) => {
          listeners.delete(check);
          clearTimeout(timer);
          reject(
            new Error(
              `${why} waiting for ${pattern} from ${command} ${args.join(' ')}\n${stdout}\n${stderr}`,
            ),
          );
        };
        const check = () => {
          const match = pattern.exec(stdout + stderr);
          if (match) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(match);
          } else if (ended) fail('exited');
        };
        const timer = setTimeout(() => fail(`timed out after ${ms} ms`), ms);
        listeners.add(check);
        check();
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return result;
    },
  };
}

/** Runs a command to its end (killed after `timeoutMs`). */
export function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; input?: string; timeoutMs?: number } = {},
): Promise<Result> {
  return start(command, args, { ...options, killAfterMs: options.timeoutMs ?? 300_000 }).result;
}

/** Like run, but throws with the output when the exit code is not 0. */
export async function runOk(
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; input?: string; timeoutMs?: number } = {},
): Promise<Result> {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited ${result.code ?? result.signal}\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result;
}

const nodes = new Map<number, Promise<string>>();
/**
 * The path of a Node binary of the given major version: `npx -y node@N` fetches it from the npm registry once
 * (npm's cache keeps it for later runs); the tests then spawn the binary itself, without npx in between.
 */
export function nodeBinary(major: number): Promise<string> {
  let found = nodes.get(major);
  if (!found) {
    found = (async () => {
      const { stdout } = await runOk(
        'npx',
        ['-y', `node@${major}`, '-p', 'process.execPath + " " + process.version'],
        { cwd: tmpdir(), env: cleanEnv(), timeoutMs: 300_000 },
      );
      const [path, version] = stdout.trim().split('\n').pop()!.split(' ');
      if (!path || !version?.startsWith(`v${major}.`))
        throw new Error(`npx node@${major} printed: ${stdout}`);
      return path;
    })();
    nodes.set(major, found);
  }
  return found;
}

export interface Emulator {
  url: string;
  stop(): Promise<Result>;
}

/** Starts an emulator bin (`node bin --port 0 ...`) on a free loopback port and reads its URL. */
export async function startEmulator(node: string, bin: string, args: string[] = []): Promise<Emulator> {
  const proc = start(node, [bin, '--port', '0', '--quiet', ...args], { killAfterMs: 600_000 });
  const match = await proc.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/, 30_000);
  return { url: match[1]!, stop: () => proc.stop() };
}

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

export interface StepRun extends Result {
  outputs: Record<string, string>;
  state: Record<string, string>;
  summary: string;
}

/**
 * Runs one step of a JavaScript action as the runner does: `node <entry>` in the workspace, every input as
 * INPUT_<NAME> (uppercased, dashes kept), STATE_<name> for the post step, and fresh GITHUB_OUTPUT,
 * GITHUB_STATE and GITHUB_STEP_SUMMARY files.
 */
export async function runActionStep(
  node: string,
  entry: string,
  spec: { inputs: Record<string, string>; state?: Record<string, string>; workspace: string },
): Promise<StepRun> {
  const dir = mkdtempSync(join(tmpdir(), 'catalog-crawl-release-step-'));
  const files = { output: join(dir, 'output'), state: join(dir, 'state'), summary: join(dir, 'summary') };
  for (const file of Object.values(files)) writeFileSync(file, '');
  const env = cleanEnv({
    HOME: dir,
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: spec.workspace,
    RUNNER_TEMP: dir,
    GITHUB_OUTPUT: files.output,
    GITHUB_STATE: files.state,
    GITHUB_STEP_SUMMARY: files.summary,
  });
  for (const [name, value] of Object.entries(spec.inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  for (const [name, value] of Object.entries(spec.state ?? {})) env[`STATE_${name}`] = value;
  try {
    const result = await run(node, [entry], { cwd: spec.workspace, env, timeoutMs: 180_000 });
    return {
      ...result,
      outputs: parseFileCommands(readFileSync(files.output, 'utf8')),
      state: parseFileCommands(readFileSync(files.state, 'utf8')),
      summary: readFileSync(files.summary, 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Inputs for a quick crawl of the emulator's `fast.example` host, the rest at the action.yml defaults. */
export function quickCrawlInputs(url: string): Record<string, string> {
  return {
    'api-key': EMULATOR_KEY,
    'api-base-url': url,
    url: 'fast.example',
    'execution-id': '',
    wait: 'true',
    timeout: '3m',
    'min-interval': '1s',
    'max-interval': '2s',
    'stall-timeout': 'off',
    'cancel-on-abort': 'true',
    'cancel-on-timeout': 'false',
    'fail-on': 'failed,canceled,timed_out,stalled',
    summary: 'true',
    'github-token': '',
    'comment-on-pr': 'false',
  };
}

/**
 * Talks to a stdio MCP server (newline-delimited JSON-RPC) as a client does: `initialize`, the `initialized`
 * notification, `tools/list`, then one `tools/call` per entry of `calls`, each after the previous answer. The
 * server must exit when its stdin closes.
 */
export async function mcpSession(
  node: string,
  args: string[],
  env: Record<string, string>,
  calls: { name: string; arguments: Record<string, unknown> }[] = [],
): Promise<{ initialize: Json; tools: Json; calls: Json[]; result: Result }> {
  const proc = start(node, args, { env, killAfterMs: 120_000, openStdin: true });
  const stdin = proc.child.stdin!;
  let id = 0;
  const request = async (method: string, params: unknown) => {
    id++;
    stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    const match = await proc.waitFor(new RegExp(`^(\\{.*"id":${id}[,}].*)$`, 'm'), 60_000);
    return JSON.parse(match[1]!);
  };
  const initialize = await request('initialize', {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'release-test', version: '0.0.0' },
  });
  stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
  const tools = await request('tools/list', {});
  const answers: Json[] = [];
  for (const call of calls) answers.push(await request('tools/call', call));
  stdin.end();
  const result = await proc.result;
  return { initialize, tools, calls: answers, result };
}
