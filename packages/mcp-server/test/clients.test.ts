import type { Emulator } from '@catalog-crawl/emulator';
import { Client as Client2, StreamableHTTPClientTransport as Transport2 } from '@modelcontextprotocol/client';
import {
  Client as ClientBeta,
  StreamableHTTPClientTransport as TransportBeta,
} from '@modelcontextprotocol/client-beta5';
import { Client as Client1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as Transport1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type HttpServerHandle, startHttpServer } from '../src/http.js';
import { listedTools } from '../src/tools/index.js';
import { CANARY, startTestEmulator } from './helpers.js';

// Every tool call, as three real clients make it: SDK 1.x (draft-07 validator), SDK client 2.0.0-beta.5 (the
// strict 2020-12 client that rejected draft-07 schemas) and the current SDK client 2.x. Each client validates
// structuredContent against the outputSchema itself; on top, Ajv's 2020 class in strict mode validates every
// schema and every call's arguments and structured result.

let emulator: Emulator;
let http: HttpServerHandle;

beforeAll(async () => {
  emulator = await startTestEmulator();
  http = await startHttpServer({
    port: 0,
    baseUrl: emulator.url,
    clientOptions: { retry: { retries: 1, minDelayMs: 10, maxDelayMs: 20 } },
    poll: { minIntervalMs: 1_000, maxIntervalMs: 1_000 },
  });
});
afterAll(async () => {
  await http?.close();
  await emulator?.close();
});

function strictAjv() {
  return new Ajv2020({ strict: true, allErrors: true });
}

interface AnyClient {
  listTools(): Promise<{ tools: { name: string; inputSchema: object; outputSchema?: object }[] }>;
  callTool(params: { name: string; arguments: Record<string, unknown> }): Promise<unknown>;
  close(): Promise<void>;
}

const headers = { 'x-catalog-api-key': CANARY };

const clients: Record<string, () => Promise<AnyClient>> = {
  'SDK 1.x': async () => {
    const client = new Client1({ name: 'sdk1', version: '1' });
    await client.connect(new Transport1(new URL(http.url), { requestInit: { headers } }));
    return client as unknown as AnyClient;
  },
  'SDK client 2.0.0-beta.5 (strict 2020-12)': async () => {
    const client = new ClientBeta({ name: 'beta5', version: '1' });
    await client.connect(new TransportBeta(new URL(http.url), { requestInit: { headers } }));
    return client as unknown as AnyClient;
  },
  'SDK client 2.x': async () => {
    const client = new Client2({ name: 'sdk2', version: '1' });
    await client.connect(new Transport2(new URL(http.url), { requestInit: { headers } }));
    return client as unknown as AnyClient;
  },
};

describe('schemas', () => {
  it('every input and output schema compiles under Ajv 2020 in strict mode, with no $schema', () => {
    const ajv = strictAjv();
    for (const tool of listedTools()) {
      for (const schema of [tool.inputSchema, tool.outputSchema]) {
        expect(schema).toBeDefined();
        expect(schema).not.toHaveProperty('$schema');
        expect(() => ajv.compile(schema!), tool.name).not.toThrow();
      }
    }
  });

  it('the strict client rejects the draft-07 schemas SDK 1.x emits by default (this check can fail)', async () => {
    // A bare SDK 1.x server with a zod tool: its schemas carry draft-07 `$schema`, as ours did.
    const bare = new McpServer({ name: 'draft07', version: '1' });
    bare.registerTool(
      'echo',
      { inputSchema: { text: z.string() }, outputSchema: { text: z.string() } },
      async ({ text }) => ({ content: [{ type: 'text', text }], structuredContent: { text } }),
    );
    const { InMemoryTransport } = await import('@modelcontextprotocol/sdk/inMemory.js');
    const [a, b] = InMemoryTransport.createLinkedPair();
    await bare.connect(b);
    const client = new ClientBeta({ name: 'beta5', version: '1' });
    await client.connect(a as never);
    const { tools } = await client.listTools();
    expect(tools[0]!.inputSchema).toMatchObject({ $schema: 'http://json-schema.org/draft-07/schema#' });
    await expect(client.callTool({ name: 'echo', arguments: { text: 'x' } })).rejects.toThrow(
      /unsupported dialect.*draft-07/,
    );
    await client.close();
    await bare.close();
  });
});

describe.concurrent.each(Object.keys(clients))('%s', (kind) => {
  it('calls every tool; arguments and results validate both ways', async () => {
    const client = await clients[kind]!();
    const ajv = strictAjv();
    try {
      const { tools } = await client.listTools();
      const schemas = Object.fromEntries(
        tools.map((t) => [
          t.name,
          { input: ajv.compile(t.inputSchema), output: ajv.compile(t.outputSchema!) },
        ]),
      );
      const called = new Set<string>();
      const call = async (name: string, args: Record<string, unknown>) => {
        const input = schemas[name]!.input;
        expect(input(args), `${name} arguments: ${JSON.stringify(input.errors)}`).toBe(true);
        const result = (await client.callTool({ name, arguments: args })) as {
          isError?: boolean;
          structuredContent?: Record<string, unknown>;
        };
        expect(result.isError, name).toBeFalsy();
        const output = schemas[name]!.output;
        expect(output(result.structuredContent), `${name} result: ${JSON.stringify(output.errors)}`).toBe(
          true,
        );
        called.add(name);
        return result.structuredContent!;
      };
      const tag = kind.replace(/[^a-z0-9]+/gi, '').toLowerCase();
      const fast = (await call('start_crawl', { url: `fast-${tag}.example` }))['execution_id'] as string;
      const long = (await call('start_crawl', { url: `long-${tag}.example` }))['execution_id'] as string;
      await call('get_crawl_status', { execution_id: long });
      expect(await call('wait_for_crawl', { execution_id: fast, wait_seconds: 10 })).toMatchObject({
        wait_outcome: 'completed',
      });
      await call('wait_for_crawl', { execution_id: long, wait_seconds: 1 });
      await call('list_crawls', { page_size: 5 });
      await call('list_crawls', { status: 'completed', page: 1 });
      await call('cancel_crawl', { execution_id: long });
      await call('cancel_crawl', { execution_id: long });
      const page = await call('get_crawl_results', { execution_id: fast, page_size: 3 });
      expect(page).toMatchObject({ kind: 'listings', page: 1 });
      await call('get_crawl_results', {
        vendor: `fast-${tag}.example`,
        kind: 'collections',
        fields: ['url', 'products_total'],
      });
      expect([...called].sort()).toEqual(tools.map((t) => t.name).sort());
    } finally {
      await client.close();
    }
  }, 30_000);
});
