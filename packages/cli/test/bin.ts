import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { type Emulator, startEmulator } from '@catalog-crawl/emulator';
import { CANARY, cleanEnv, type Proc, type ProcResult, spawnNode } from '@catalog-crawl/test-kit';

export const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

if (!existsSync(BIN)) {
  throw new Error(`${BIN} is missing: run \`pnpm --filter @catalog-crawl/cli run build\` first.`);
}

export type BinResult = ProcResult;

/** Every output of every run, to check the canary key never appears. */
export const allOutputs: string[] = [];

/** A clean environment: no colours forced, the canary key and the emulator's URL. */
export function binEnv(emulator: Emulator | undefined, extra: Record<string, string | undefined> = {}) {
  return cleanEnv({
    CATALOG_API_KEY: CANARY,
    CATALOG_API_BASE_URL: emulator?.url,
    ...extra,
  });
}

export type Running = Proc;

/** Spawns the built bin; waitFor gives up after 10 s unless told otherwise. */
export function spawnBin(args: string[], env: Record<string, string>): Running {
  const proc = spawnNode(BIN, args, env, { waitForMs: 10_000 });
  const result = proc.result.then((r) => {
    allOutputs.push(r.stdout, r.stderr);
    return r;
  });
  return { ...proc, result };
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

/**
 * Cancels a crawl through the HTTP API. The API refuses a pending crawl, and a fresh crawl stays pending for a
 * few milliseconds at test speed, so a refusal is retried while the crawl reads `pending`, or `running` (it
 * started between the refusal and the read).
 */
export async function cancelCrawl(emulator: Emulator, id: string): Promise<number> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const response = await fetch(`${emulator.url}/v2/crawl/${encodeURIComponent(id)}`, {
      method: 'DELETE',
      headers: { 'x-api-key': CANARY },
    });
    await response.text();
    if (response.status !== 409 || Date.now() > deadline) return response.status;
    const crawl = await fetch(`${emulator.url}/v2/crawl/${encodeURIComponent(id)}`, {
      headers: { 'x-api-key': CANARY },
    });
    // Pending: not cancellable yet. Running: it started between the refusal and this read: send it again.
    const status = ((await crawl.json()) as { status?: string }).status;
    if (status !== 'pending' && status !== 'running') return response.status;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
