import { CatalogClient, type CatalogClientOptions, type Clock } from '../src/index.js';

export const STEP_NAMES = [
  'Determining crawl method',
  'Discovering collections',
  'Analyzing collections',
  'Extracting listings',
];

/** A GET body: `step` is the index of the running step (4 = all completed). */
export function body(
  status: string,
  step = 0,
  counts: [number, number] | null = [0, 0],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const steps = STEP_NAMES.map((name, i) => ({
    name,
    status:
      i < step || status === 'completed'
        ? 'completed'
        : i === step && status === 'running'
          ? 'running'
          : 'pending',
  }));
  const meta: Record<string, unknown> = { vendor: 'skims.com', steps };
  if (counts) meta.progress = { collections_found: counts[0], listings_found: counts[1] };
  return { execution_id: 'crawl-1', status, error: null, meta, ...extra };
}

export type Answer =
  | Record<string, unknown>
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | Error;

/**
 * A simulated clock: `sleep` queues a timer on virtual time, and whenever the process is idle (every
 * microtask done) the earliest timer fires and time jumps to it. Request timeouts, retries, the rate limiter
 * and the wait loop all run on it, as they would on the real clock, in no real time.
 */
export interface SimClock extends Clock {
  t: number;
  /** Sleeps that ran to their end (aborted ones, such as a request timeout that was not needed, are left out). */
  sleeps: { at: number; ms: number }[];
  /** Advances virtual time by `ms` without recording a sleep (a request's latency). */
  pass(ms: number): Promise<void>;
}

export function simClock(start = 1_000_000, random: () => number = () => 0.5): SimClock {
  interface Timer {
    at: number;
    seq: number;
    fire(): void;
  }
  const timers: Timer[] = [];
  let seq = 0;
  let kicked = false;
  const tick = () => {
    kicked = false;
    timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const next = timers.shift();
    if (!next) return;
    clock.t = Math.max(clock.t, next.at);
    next.fire();
    kick();
  };
  const kick = () => {
    if (kicked || timers.length === 0) return;
    kicked = true;
    setImmediate(tick);
  };
  const schedule = (ms: number, signal: AbortSignal | undefined, record: boolean) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const at = clock.t;
      const timer: Timer = {
        at: at + Math.max(0, ms),
        seq: seq++,
        fire: () => {
          signal?.removeEventListener('abort', onAbort);
          if (record) clock.sleeps.push({ at, ms });
          resolve();
        },
      };
      const onAbort = () => {
        const i = timers.indexOf(timer);
        if (i >= 0) timers.splice(i, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      timers.push(timer);
      kick();
    });
  const clock: SimClock = {
    t: start,
    sleeps: [],
    now: () => clock.t,
    random,
    sleep: (ms, signal) => schedule(ms, signal, true),
    pass: (ms) => schedule(ms, undefined, false),
  };
  return clock;
}

export interface Sim {
  readonly t: number;
  client: CatalogClient;
  clock: SimClock;
  requests: { at: number; method: string; url: string; aborted: boolean }[];
  readonly sleeps: { at: number; ms: number }[];
}

/**
 * Simulated time (see simClock); each request takes `latencyMs`. `answer` is called for every request with
 * the request index and the simulated time.
 */
export function simulate(
  answer: (n: number, t: number, method: string) => Answer,
  options: { latencyMs?: number; random?: () => number; client?: Partial<CatalogClientOptions> } = {},
): Sim {
  const latency = options.latencyMs ?? 200;
  const clock = simClock(1_000_000, options.random ?? (() => 0.5));
  const requests: Sim['requests'] = [];
  const fakeFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const method = init?.method ?? 'GET';
    const n = requests.length;
    requests.push({ at: clock.t, method, url: String(input), aborted: init?.signal?.aborted ?? false });
    await clock.pass(latency);
    if (init?.signal?.aborted) throw init.signal.reason;
    const a = answer(n, clock.t, method);
    if (a instanceof Error) throw a;
    if (typeof a.status === 'number') {
      const h = a as { status: number; body?: unknown; headers?: Record<string, string> };
      const text = h.body === undefined ? '' : typeof h.body === 'string' ? h.body : JSON.stringify(h.body);
      return new Response(h.status === 204 ? null : text, { status: h.status, headers: h.headers });
    }
    return new Response(JSON.stringify(a), { status: 200, headers: { 'request-id': `req_${n}` } });
  };
  const client = new CatalogClient({
    apiKey: 'sim-key',
    baseUrl: 'http://catalog.test',
    fetch: fakeFetch as typeof fetch,
    clock,
    rateLimit: false,
    ...options.client,
  });
  return {
    get t() {
      return clock.t;
    },
    client,
    clock,
    requests,
    get sleeps() {
      return clock.sleeps;
    },
  };
}
