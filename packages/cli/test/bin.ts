import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { type Emulator, startEmulator } from '@catalog-crawl/emulator';
import { CANARY } from './helpers.js';

export const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

if (!existsSync(BIN)) {
  throw new Error(`${BIN} is missing: run \`pnpm --filter @catalog-crawl/cli run build\` first.`);
}

export interface BinResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Every output of every run, to check the canary key never appears. */
export const allOutputs: string[] = [];

/** A clean environment: no colours forced, the canary key and the emulator's URL. */
export function binEnv(emulator: Emulator | undefined, extra: Record<string, string | undefined> = {}) {
  const env: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'SYSTEMROOT']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  env['CATALOG_API_KEY'] = CANARY;
  if (emulator) env['CATALOG_API_BASE_URL'] = emulator.url;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export interface Running {
  child: ChildProcess;
  result: Promise<BinResult>;
  /** Resolves once stdout (or stderr) contains the text. */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  output(): { stdout: string; stderr: string };
}

export function spawnBin(args: string[], env: Record<string, string>): Running {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
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
  const result = new Promise<BinResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      allOutputs.push(stdout, stderr);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    child,
    result,
    output: () => ({ stdout, stderr }),
    waitFor(text, timeoutMs = 10_000) {
      const test = (s: string) => (typeof text === 'string' ? s.includes(text) : text.test(s));
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for ${String(text)}; got:\n${stdout}\n${stderr}`)),
          timeoutMs,
        );
        watchers.push({
          test,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
        check();
      });
    },
  };
}

export function runBin(args: string[], env: Record<string, string>): Promise<BinResult> {
  return spawnBin(args, env).result;
}

/** The canary is the only key the test emulator accepts. */
export function startTestEmulator(speed = 100): Promise<Emulator> {
  return startEmulator({ host: '127.0.0.1', port: 0, speed, apiKeys: [{ key: CANARY, org: 'cli-tests' }] });
}

/** A loopback port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let counter = 0;
/** A unique scenario host (POST is idempotent per host). */
export function host(scenario: string): string {
  counter++;
  return `${scenario}-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 6)}.example`;
}

/** Starts a crawl through the HTTP API directly and returns its id. */
export async function startCrawl(emulator: Emulator, url: string): Promise<string> {
  const response = await fetch(`${emulator.url}/v2/crawl`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': CANARY },
    body: JSON.stringify({ url }),
  });
  const body = (await response.json()) as { execution_id: string };
  return body.execution_id;
}

export async function cancelCrawl(emulator: Emulator, id: string): Promise<number> {
  const response = await fetch(`${emulator.url}/v2/crawl/${encodeURIComponent(id)}`, {
    method: 'DELETE',
    headers: { 'x-api-key': CANARY },
  });
  await response.text();
  return response.status;
}

export function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
