import type { Emulator } from '@catalog-crawl/emulator';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CANARY,
  connect,
  hostTaking,
  sleep,
  startTestEmulator,
  structured,
  testClient,
  until,
} from './helpers.js';

let emulator: Emulator;

beforeAll(async () => {
  emulator = await startTestEmulator();
});
afterAll(async () => {
  await emulator?.close();
});

const getsOf = (id: string) =>
  emulator.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/${id}`)).length;

describe.concurrent('resource subscriptions', () => {
  it('sends notifications/resources/updated while the crawl changes, and stops when it ends', async () => {
    const conn = await connect({ client: testClient(emulator) });
    try {
      const updates: string[] = [];
      conn.client.setNotificationHandler(ResourceUpdatedNotificationSchema, async (n) => {
        updates.push(n.params.uri);
      });
      const host = hostTaking(emulator, 'sub', 2_500, 5_000);
      const started = await conn.client.callTool({ name: 'start_crawl', arguments: { url: host } });
      const { execution_id: id, resource_uri: uri } = structured<{
        execution_id: string;
        resource_uri: string;
      }>(started);
      await conn.client.subscribeResource({ uri });
      await until(
        async () => {
          const read = await conn.client.readResource({ uri });
          return JSON.parse((read.contents[0] as { text: string }).text).finished === true;
        },
        15_000,
        500,
      );
      await sleep(1_500);
      expect(updates.length).toBeGreaterThanOrEqual(2);
      expect(new Set(updates)).toEqual(new Set([uri]));
      // The crawl ended: the watcher stopped polling and sends nothing more.
      const count = updates.length;
      const gets = getsOf(id);
      await sleep(2_200);
      expect(updates.length).toBe(count);
      expect(getsOf(id)).toBe(gets);
      expect(conn.logs.join('\n')).not.toContain(CANARY);
    } finally {
      await conn.close();
    }
  });

  it('stops watching on unsubscribe and on close', async () => {
    const conn = await connect({ client: testClient(emulator) });
    const started = await conn.client.callTool({
      name: 'start_crawl',
      arguments: { url: 'long-sub.example' },
    });
    const { execution_id: id, resource_uri: uri } = structured<{
      execution_id: string;
      resource_uri: string;
    }>(started);
    await conn.client.subscribeResource({ uri });
    await sleep(1_500);
    expect(getsOf(id)).toBeGreaterThanOrEqual(2);
    await conn.client.unsubscribeResource({ uri });
    let gets = getsOf(id);
    await sleep(1_500);
    expect(getsOf(id)).toBe(gets);

    await conn.client.subscribeResource({ uri });
    await sleep(1_200);
    expect(getsOf(id)).toBeGreaterThan(gets);
    await conn.close();
    gets = getsOf(id);
    await sleep(1_500);
    expect(getsOf(id)).toBe(gets);
  });

  it('refuses to subscribe to an unknown or invalid crawl', async () => {
    const conn = await connect({ client: testClient(emulator) });
    try {
      await expect(
        conn.client.subscribeResource({ uri: 'catalog-crawl://crawls/crawl-none-example-00000000' }),
      ).rejects.toThrow(/No crawl/);
      await expect(conn.client.subscribeResource({ uri: 'catalog-crawl://crawls/a%2Fb' })).rejects.toThrow();
      await expect(conn.client.subscribeResource({ uri: 'https://example.com/x' })).rejects.toThrow(
        /Not a crawl resource/,
      );
    } finally {
      await conn.close();
    }
  });
});
