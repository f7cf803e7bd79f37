import { CatalogClient, type CatalogClientOptions } from '@catalog-crawl/core';
import { type Emulator, startEmulator } from '@catalog-crawl/emulator';
import { CANARY } from '@catalog-crawl/test-kit';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { type CreateServerOptions, createServer } from '../src/server.js';

export { CANARY, sleep, until } from '@catalog-crawl/test-kit';
export const OTHER_KEY = 'ck_live_OTHER_1a2b3c';
/** Simulated time runs this many times faster than real time. */
export const SPEED = 100;

export async function startTestEmulator(): Promise<Emulator> {
  return startEmulator({
    speed: SPEED,
    seed: 'mcp-server-tests',
    apiKeys: [
      { key: CANARY, org: 'org-a' },
      { key: OTHER_KEY, org: 'org-b' },
    ],
  });
}

/** A client that gives up fast (tests of the error paths must not sit in backoff). */
export function testClient(emulator: Emulator, options: Partial<CatalogClientOptions> = {}): CatalogClient {
  return new CatalogClient({
    apiKey: CANARY,
    baseUrl: emulator.url,
    timeoutMs: 5_000,
    retry: { retries: 1, minDelayMs: 10, maxDelayMs: 20, maxServerDelayMs: 50 },
    ...options,
  });
}

/** A host whose crawl takes between minMs and maxMs of real time on this emulator. */
export function hostTaking(emulator: Emulator, prefix: string, minMs: number, maxMs: number): string {
  for (let i = 0; i < 5_000; i++) {
    const host = `${prefix}${i}.example`;
    const real = emulator.plannedDurationMs(host) / SPEED;
    if (real >= minMs && real <= maxMs) return host;
  }
  throw new Error(`no host of ${prefix} takes ${minMs}-${maxMs} ms`);
}

export interface Connected {
  client: Client;
  logs: string[];
  close(): Promise<void>;
}

/** An McpServer and an SDK Client linked in memory. */
export async function connect(options: CreateServerOptions): Promise<Connected> {
  const logs: string[] = [];
  const server = createServer({
    secrets: [CANARY, OTHER_KEY],
    wait: { heartbeatMs: 5_000 },
    poll: { minIntervalMs: 1_000, maxIntervalMs: 1_000 },
    log: (line) => logs.push(line),
    ...options,
  });
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'test-client', version: '1.0.0' });
  await Promise.all([server.connect(serverTransport), client.connect(clientTransport)]);
  return {
    client,
    logs,
    async close() {
      await client.close();
      await server.close();
    },
  };
}

export function textOf(result: unknown): string {
  const content = (result as CallToolResult).content ?? [];
  return content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

export function structured<T = Record<string, unknown>>(result: unknown): T {
  return (result as CallToolResult).structuredContent as T;
}
