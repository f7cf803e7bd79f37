import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CatalogClient, type CatalogClientOptions, type WaitEvent, waitForCrawl } from '../src/index.js';
import { startServer } from './helpers.js';
import { body, simClock } from './sim.js';

const CANARY = 'ck_live_CANARY_9f8e7d';
const ID = 'crawl-1';

/** Everything reachable from an error that could be printed or logged. */
function exposures(error: unknown): string[] {
  const out: string[] = [inspect(error, { depth: 8 }), String(error)];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 10; depth++) {
    if (current instanceof Error) {
      out.push(current.message, current.stack ?? '', JSON.stringify(current), inspect(current, { depth: 8 }));
      current = current.cause;
    } else {
      out.push(inspect(current, { depth: 8 }), String(current));
      break;
    }
  }
  return out;
}

function expectClean(texts: string[]): void {
  for (const text of texts) {
    expect(text).not.toContain(CANARY);
    expect(text).not.toContain(encodeURIComponent(CANARY));
  }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** The server echoes the key everywhere it can: body message, code, request id, headers. */
function echo(status: number, shape: 'envelope' | 'flat' | 'older' | 'html' | 'text'): Response {
  const headers = { 'request-id': `req_${CANARY}`, 'retry-after': '0' };
  const text =
    shape === 'envelope'
      ? JSON.stringify({
          error: { code: `E_${CANARY}`, message: `bad key ${CANARY}`, request_id: `req_${CANARY}` },
        })
      : shape === 'flat'
        ? JSON.stringify({ error: `Invalid API key ${CANARY}`, status })
        : shape === 'older'
          ? JSON.stringify({ error: 'denied', details: `key=${CANARY}` })
          : shape === 'html'
            ? `<html><title>Proxy error for ${CANARY}</title></html>`
            : `x-api-key: ${CANARY}`;
  return new Response(status === 204 ? null : text, { status, headers });
}

function client(fetchImpl: typeof fetch, extra: Partial<CatalogClientOptions> = {}): CatalogClient {
  return new CatalogClient({
    apiKey: CANARY,
    baseUrl: 'http://catalog.test',
    fetch: fetchImpl,
    rateLimit: false,
    retry: { retries: 1, minDelayMs: 1, maxDelayMs: 1 },
    ...extra,
  });
}

describe('the API key never leaks', () => {
  const statuses = [301, 400, 401, 402, 403, 404, 408, 409, 418, 429, 500, 502, 503];
  const shapes = ['envelope', 'flat', 'older', 'html', 'text'] as const;

  it.each(statuses)('from HTTP %d answers of every shape, on every method', async (status) => {
    for (const shape of shapes) {
      const c = client((async () => echo(status, shape)) as typeof fetch);
      const calls = [
        () => c.getCrawl(ID),
        () => c.startCrawl({ url: 'skims.com' }),
        () => c.listCrawls(),
        () => c.cancelCrawl(ID),
      ];
      for (const call of calls) {
        const outcome = await call().then(
          (value) => value,
          (error) => error,
        );
        expectClean(exposures(outcome));
        expectClean([JSON.stringify(outcome) ?? '']);
      }
    }
  });

  it('from malformed 2xx bodies', async () => {
    for (const text of [
      `<html>${CANARY}</html>`,
      `{"execution_id": "${CANARY}`,
      `${CANARY}`,
      JSON.stringify({ status: 5, key: CANARY }),
    ]) {
      const c = client(
        (async () => new Response(text, { status: 200, headers: { 'request-id': CANARY } })) as typeof fetch,
      );
      expectClean(exposures(await rejection(c.getCrawl(ID))));
    }
  });

  it('from network failures whose text or cause carries the key and the request headers', async () => {
    const c = client((async (_url: unknown, init?: RequestInit) => {
      throw new TypeError(`fetch failed for ${CANARY}`, {
        cause: Object.assign(new Error(`connect ECONNREFUSED (${CANARY})`), {
          code: 'ECONNREFUSED',
          headers: init?.headers,
          init,
        }),
      });
    }) as typeof fetch);
    const error = await rejection(c.getCrawl(ID));
    expect((error as Error).message).toContain('ECONNREFUSED');
    expectClean(exposures(error));
  });

  it('from a fetch that throws a non-error holding the key', async () => {
    const c = client((async (_url: unknown, init?: RequestInit) => {
      throw { headers: init?.headers, message: `nope ${CANARY}` };
    }) as typeof fetch);
    expectClean(exposures(await rejection(c.getCrawl(ID))));
  });

  it('from timeouts and aborts', async () => {
    const server = await startServer(() => {});
    try {
      const c = new CatalogClient({ apiKey: CANARY, baseUrl: server.url, timeoutMs: 30, retry: false });
      expectClean(exposures(await rejection(c.getCrawl(ID))));
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error(`stop ${CANARY.slice(0, 4)}`)), 10);
      const slow = new CatalogClient({ apiKey: CANARY, baseUrl: server.url });
      expectClean(exposures(await rejection(slow.getCrawl(ID, { signal: controller.signal }))));
    } finally {
      await server.close();
    }
  });

  it('from the waiter: events, lost contact, abort with cancel, not found, auth', async () => {
    const clock = simClock(0);
    const scripted = (answers: ((method: string) => Response)[]) => {
      let n = 0;
      return (async (_url: unknown, init?: RequestInit) => {
        const answer = answers[Math.min(n++, answers.length - 1)]!;
        return answer(init?.method ?? 'GET');
      }) as typeof fetch;
    };
    const ok = () =>
      new Response(JSON.stringify(body('running', 1, [1, 2])), { headers: { 'request-id': 'req_1' } });
    const events: WaitEvent[] = [];
    const waitOpts = { onEvent: (e: WaitEvent) => events.push(e), lostContactMs: 60_000 };

    // Retries and failed polls (warnings carry the errors), then lost contact.
    const lost = client(
      scripted([ok, () => echo(503, 'envelope'), () => echo(429, 'flat'), () => echo(502, 'html')]),
      { clock },
    );
    expectClean(exposures(await rejection(waitForCrawl(lost, ID, waitOpts))));

    // Abort with cancelOnAbort: the DELETE fails with an echoing 403.
    const controller = new AbortController();
    const aborting = client(scripted([ok, (m) => (m === 'DELETE' ? echo(403, 'older') : ok())]), {
      clock,
    });
    const abortingSleep = async (ms: number, signal?: AbortSignal) => {
      controller.abort();
      await clock.sleep(ms, signal);
    };
    const aborted = await rejection(
      waitForCrawl(aborting, ID, {
        ...waitOpts,
        clock: { ...clock, sleep: abortingSleep },
        signal: controller.signal,
        cancelOnAbort: true,
      }),
    );
    expect((aborted as { cancelError?: unknown }).cancelError).toBeDefined();
    expectClean(exposures(aborted));

    // Not found and auth end the wait with the typed errors.
    expectClean(
      exposures(
        await rejection(
          waitForCrawl(client(scripted([() => echo(404, 'envelope')]), { clock }), ID, waitOpts),
        ),
      ),
    );
    expectClean(
      exposures(
        await rejection(waitForCrawl(client(scripted([() => echo(401, 'flat')]), { clock }), ID, waitOpts)),
      ),
    );

    // Timed out with cancelOnTimeout whose DELETE answers 409 with the key in it.
    let deleted = false;
    const finished = () =>
      new Response(JSON.stringify(body('completed', 4)), { headers: { 'request-id': 'req_2' } });
    const timed = client(
      scripted([
        (m) => {
          if (m === 'DELETE') deleted = true;
          return m === 'DELETE' ? echo(409, 'envelope') : deleted ? finished() : ok();
        },
      ]),
      { clock },
    );
    const result = await waitForCrawl(timed, ID, { ...waitOpts, timeoutMs: 60_000, cancelOnTimeout: true });
    expect(result.cancel?.outcome).toBe('already_finished');
    expectClean([JSON.stringify(result), inspect(result, { depth: 10 })]);

    expect(events.some((e) => e.type === 'warning')).toBe(true);
    for (const event of events) expectClean([JSON.stringify(event), inspect(event, { depth: 10 })]);
  });
});
