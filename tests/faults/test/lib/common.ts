import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { CANARY, cleanEnv as kitCleanEnv, sleep, spawnNode } from '@catalog-crawl/test-kit';

export {
  CANARY,
  canaryHits,
  errorTexts,
  mulberry32 as seeded,
  type Proc,
  type ProcResult,
  sleep,
  spawnNode,
} from '@catalog-crawl/test-kit';

const require = createRequire(import.meta.url);
const pkgDir = (name: string) => dirname(require.resolve(`${name}/package.json`));

/**
 * The built entry points the suite attacks (never the sources). FAULT_SUITE_ACTION_DIR (a directory holding an
 * Action's action.yml and dist/) and FAULT_SUITE_CLI_BIN run the suite against another build, e.g. a branch's
 * committed Action bundle before it is merged (`git archive <branch> packages/action | tar -x -C /tmp/x`).
 */
export const ACTION_DIR = process.env['FAULT_SUITE_ACTION_DIR'] || pkgDir('@catalog-crawl/action');
export const CLI_BIN =
  process.env['FAULT_SUITE_CLI_BIN'] || join(pkgDir('@catalog-crawl/cli'), 'dist', 'bin.js');
export const ACTION_ENTRY = join(ACTION_DIR, 'dist', 'index.js');
export const MCP_BIN = join(pkgDir('@catalog-crawl/mcp-server'), 'dist', 'cli.js');

export type Category =
  | 'faults'
  | 'lost-contact'
  | 'bad-input'
  | 'hostile'
  | 'secrets'
  | 'signals'
  | 'results'
  | 'cancel'
  | 'vocabulary';

/** Appends one case result to the run's results file (read by the summary reporter). */
export function record(category: Category, name: string, ok: boolean, note?: string): void {
  const file = process.env['FAULT_SUITE_RESULTS'];
  if (!file) return;
  appendFileSync(file, `${JSON.stringify({ category, name, ok, note })}\n`);
}

/** Runs one case, records whether it passed, and rethrows its failure. */
export async function track<T>(category: Category, name: string, fn: () => Promise<T> | T): Promise<T> {
  try {
    const value = await fn();
    record(category, name, true);
    return value;
  } catch (error) {
    record(category, name, false, error instanceof Error ? error.message.slice(0, 300) : String(error));
    throw error;
  }
}

let counter = 0;
/** A unique scenario host, e.g. fast-x3k-12.example (POST is idempotent per host). */
export function host(scenario: string, tag = ''): string {
  counter++;
  return `${scenario}-${tag}${process.pid}-${counter}-${Math.random().toString(36).slice(2, 6)}.example`;
}

/** A minimal environment for a child process (no inherited CATALOG_* or GITHUB_* variables), without colours. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  return kitCleanEnv({ NO_COLOR: '1', ...extra });
}

/**
 * A request from the test itself (not from the code under test), retried through injected faults until the
 * emulator gives a real answer (2xx or a 4xx other than 429).
 */
export async function rawRequest(
  emulator: { url: string },
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
  key = CANARY,
): Promise<{ status: number; json: unknown }> {
  for (let attempt = 0; attempt < 60; attempt++) {
    try {
      const response = await fetch(`${emulator.url}${path}`, {
        method,
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(5_000),
      });
      const text = await response.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      const real = response.status < 500 && response.status !== 429 && json !== undefined;
      if (real) return { status: response.status, json };
    } catch {
      // reset or timeout: try again
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${method} ${path}: no real answer after 60 attempts`);
}

/** POST /v2/crawl through faults; returns the execution id and when the answer arrived (performance.now()). */
export async function startCrawlRaw(emulator: { url: string }, url: string, key = CANARY) {
  const { status, json } = await rawRequest(emulator, 'POST', '/v2/crawl', { url }, key);
  if (status !== 202) throw new Error(`POST ${url}: HTTP ${status} ${JSON.stringify(json)}`);
  return { id: (json as { execution_id: string }).execution_id, answeredAt: Date.now() };
}

/** Runs tasks with at most `limit` at a time, in order. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>) {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  });
  await Promise.all(workers);
  return results;
}

/** Counts of active handle types (timers, sockets, servers) from process.getActiveResourcesInfo(). */
export function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

/** Kinds whose count went up since `before` (timers, sockets, servers...), polling until they settle. */
export async function leakedResources(before: Record<string, number>, settleMs = 3_000): Promise<string[]> {
  const deadline = Date.now() + settleMs;
  while (true) {
    const now = activeResources();
    const leaks = Object.entries(now)
      .filter(([kind]) => /Timeout|TCP|Pipe|Server|Socket|Immediate|Interval/i.test(kind))
      .filter(([kind, n]) => n > (before[kind] ?? 0))
      .map(([kind, n]) => `${kind}: ${before[kind] ?? 0} -> ${n}`);
    if (leaks.length === 0 || Date.now() > deadline) return leaks;
    await sleep(100);
  }
}

const EMULATOR_BIN = join(pkgDir('@catalog-crawl/emulator'), 'dist', 'cli.js');

export interface RequestLine {
  method: string;
  path: string;
  status: number;
  at: number;
  requestId: string;
  fault?: string;
}

export interface EmulatorProcess {
  url: string;
  /** Parsed from the bin's request log (one line per answered request, `at` = arrival). */
  requests: RequestLine[];
  close(): Promise<void>;
}

/**
 * The emulator's bin in a child process, so that it does not share an event loop (and a core) with 500 waits.
 * emulator.requests is rebuilt from its request log on stderr.
 */
export async function startEmulatorProcess(args: string[]): Promise<EmulatorProcess> {
  const proc = spawnNode(EMULATOR_BIN, ['--port', '0', ...args], cleanEnv(), { killAfterMs: 300_000 });
  const requests: RequestLine[] = [];
  let buffer = '';
  proc.child.stderr?.on('data', (chunk: string) => {
    buffer += chunk;
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      const m = /^(\S+) (\S+) (\S+) (\d+|reset) \d+ms org=\S+ (req_[0-9a-f]+)(?: fault=(\S+))?$/.exec(line);
      if (!m) continue;
      const path = m[3]!.split('?')[0]!;
      const entry: RequestLine = {
        at: Date.parse(m[1]!),
        method: m[2]!,
        path,
        status: m[4] === 'reset' ? 0 : Number(m[4]),
        requestId: m[5]!,
      };
      if (m[6]) entry.fault = m[6];
      requests.push(entry);
    }
  });
  await proc.waitFor(/listening on http:\/\/\S+/, 20_000);
  const url = /listening on (http:\/\/\S+)/.exec(proc.output().stdout)![1]!;
  return {
    url,
    requests,
    async close() {
      proc.child.kill('SIGTERM');
      await proc.result;
    },
  };
}

/**
 * Cancels a crawl from the test itself, as the API allows it: only once it reads `running` (a pending crawl's
 * DELETE is refused). Retries through faults; a refusal is never read from its wording: the crawl is read
 * again, and only its record (failed with the cancellation error, or canceled/cancelled) counts as cancelled.
 * Resolves when the emulator's record shows the crawl cancelled; throws if it ended otherwise.
 */
export async function cancelWhenRunningRaw(emulator: { url: string }, id: string, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  const read = async () =>
    (await rawRequest(emulator, 'GET', `/v2/crawl/${id}`)).json as { status: string; error: string | null };
  while (Date.now() < end) {
    const crawl = await read();
    if (isCancelledRecord(crawl)) return;
    if (crawl.status === 'running') await rawRequest(emulator, 'DELETE', `/v2/crawl/${id}`);
    else if (crawl.status !== 'pending')
      throw new Error(`crawl ${id} ended ${crawl.status} before the cancel`);
    else await sleep(100);
  }
  throw new Error(`crawl ${id} was not cancelled within ${timeoutMs} ms`);
}

/** The emulator's record of a cancelled crawl (any of the documented readings). */
export function isCancelledRecord(crawl: { status: string; error: string | null }): boolean {
  return (
    crawl.status === 'canceled' ||
    crawl.status === 'cancelled' ||
    (crawl.status === 'failed' && /cancelled by request/i.test(crawl.error ?? ''))
  );
}
