import { type Emulator, startEmulator } from '@catalog-crawl/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CANARY,
  type Connected,
  connect,
  SPEED,
  startTestEmulator,
  structured,
  testClient,
  textOf,
} from './helpers.js';

// The API cancels only running crawls; a pending one refuses like a finished one, with an undocumented status
// and wording. cancel_crawl reads the crawl after a refusal, never the refusal's text.

let emulator: Emulator;
/** Refuses with 400 and wording that lies: the pending message says "completed", the finished one "pending". */
let misleading: Emulator;
const seen: string[] = [];

beforeAll(async () => {
  emulator = await startTestEmulator();
  misleading = await startEmulator({
    speed: SPEED,
    seed: 'mcp-cancel-400',
    apiKeys: [{ key: CANARY, org: 'org-a' }],
    cancelRefusal: 400,
    cancelRefusalMessages: {
      pending: 'This crawl has already completed and cannot be cancelled',
      finished: 'This crawl is pending and not running yet',
    },
  });
});
afterAll(async () => {
  await emulator?.close();
  await misleading?.close();
  expect(seen.join('\n')).not.toContain(CANARY);
});

async function call(conn: Connected, name: string, args: Record<string, unknown>) {
  const result = await conn.client.callTool({ name, arguments: args });
  seen.push(JSON.stringify(result), ...conn.logs);
  return result;
}

const deletes = (em: Emulator, id: string) =>
  em.requests.filter((r) => r.method === 'DELETE' && r.path.endsWith(`/${id}`)).map((r) => r.status);

describe.concurrent.each([
  ['409', () => emulator],
  ['400 with misleading wording', () => misleading],
])('cancel_crawl against refusals: %s', (_label, em) => {
  it('a pending crawl: not_running_yet, a normal result with when to call again; the crawl is untouched', async () => {
    const conn = await connect({ client: testClient(em()) });
    try {
      const id = structured<{ execution_id: string }>(
        await call(conn, 'start_crawl', { url: 'pending-3000s-cancel.example' }),
      ).execution_id;
      const result = await call(conn, 'cancel_crawl', { execution_id: id });
      expect(result.isError, textOf(result)).toBeFalsy();
      expect(structured(result)).toMatchObject({
        execution_id: id,
        outcome: 'not_running_yet',
        status: 'pending',
        call_again_in_seconds: 30,
      });
      expect(textOf(result)).toMatch(/not running yet \(pending\): nothing was cancelled/);
      expect(textOf(result)).toMatch(/cancels only running crawls.*when_running: true/);
      expect(deletes(em(), id).every((status) => status >= 400)).toBe(true);
      const status = await call(conn, 'get_crawl_status', { execution_id: id });
      expect(structured(status)).toMatchObject({ status: 'pending' });
    } finally {
      await conn.close();
    }
  });

  it('when_running: waits for the start within the bound, then cancels', async () => {
    const conn = await connect({ client: testClient(em()) });
    try {
      // Pending for 2 s of real time at the emulator's speed.
      const id = structured<{ execution_id: string }>(
        await call(conn, 'start_crawl', { url: `pending-${2 * SPEED}s-when.example` }),
      ).execution_id;
      const t0 = Date.now();
      const result = await call(conn, 'cancel_crawl', { execution_id: id, when_running: true });
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(result.isError, textOf(result)).toBeFalsy();
      expect(structured(result)).toMatchObject({ execution_id: id, outcome: 'canceled' });
      expect(deletes(em(), id).at(-1)).toBe(200);
      const after = await call(conn, 'wait_for_crawl', { execution_id: id, wait_seconds: 3 });
      expect(structured(after)).toMatchObject({ finished: true, wait_outcome: 'canceled' });
    } finally {
      await conn.close();
    }
  });

  it('a finished crawl: already_finished, whatever the refusal says', async () => {
    const conn = await connect({ client: testClient(em()) });
    try {
      const id = structured<{ execution_id: string }>(
        await call(conn, 'start_crawl', { url: 'fast-cancel-done.example' }),
      ).execution_id;
      await call(conn, 'wait_for_crawl', { execution_id: id, wait_seconds: 5 });
      const result = await call(conn, 'cancel_crawl', { execution_id: id });
      expect(structured(result)).toMatchObject({ outcome: 'already_finished', status: 'completed' });
      expect(textOf(result)).toMatch(/already finished; nothing to cancel/);
    } finally {
      await conn.close();
    }
  });
});

describe('cancel_crawl when_running at the bound', () => {
  it('a crawl still pending when the bound comes: not_running_yet, answered within the bound', async () => {
    const conn = await connect({ client: testClient(emulator), toolTimeoutMs: 8_000 });
    try {
      const id = structured<{ execution_id: string }>(
        await call(conn, 'start_crawl', { url: 'pending-90000s-bound.example' }),
      ).execution_id;
      const t0 = Date.now();
      const result = await call(conn, 'cancel_crawl', { execution_id: id, when_running: true });
      const took = Date.now() - t0;
      expect(took).toBeLessThan(8_500);
      expect(took).toBeGreaterThanOrEqual(2_500);
      expect(structured(result)).toMatchObject({ outcome: 'not_running_yet', call_again_in_seconds: 30 });
      expect(structured<{ next_step: string }>(result).next_step).toMatch(
        /Still pending after waiting.*when_running: true in about 30 s/,
      );
    } finally {
      await conn.close();
    }
  });
});
