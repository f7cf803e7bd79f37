import { CatalogClient, type CatalogClientOptions } from '../src/index.js';

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

export interface Sim {
  t: number;
  client: CatalogClient;
  requests: { at: number; method: string; url: string; aborted: boolean }[];
  sleeps: { at: number; ms: number }[];
  now: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  random: () => number;
}

/**
 * Simulated time: `now` reads `sim.t`, `sleep` advances it, and each request takes `latencyMs`. `answer` is
 * called for every request with the request index and the simulated time.
 */
export function simulate(
  answer: (n: number, t: number, method: string) => Answer,
  options: { latencyMs?: number; random?: () => number; client?: Partial<CatalogClientOptions> } = {},
): Sim {
  const latency = options.latencyMs ?? 200;
  const sim = {
    t: 1_000_000,
    requests: [],
    sleeps: [],
  } as unknown as Sim;
  sim.now = () => sim.t;
  sim.random = options.random ?? (() => 0.5);
  sim.sleep = async (ms, signal) => {
    sim.sleeps.push({ at: sim.t, ms });
    sim.t += ms;
    if (signal?.aborted) throw signal.reason;
  };
  const fakeFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const method = init?.method ?? 'GET';
    const n = sim.requests.length;
    sim.requests.push({ at: sim.t, method, url: String(input), aborted: init?.signal?.aborted ?? false });
    sim.t += latency;
    const a = answer(n, sim.t, method);
    if (a instanceof Error) throw a;
    if (typeof a.status === 'number') {
      const h = a as { status: number; body?: unknown; headers?: Record<string, string> };
      const text = h.body === undefined ? '' : typeof h.body === 'string' ? h.body : JSON.stringify(h.body);
      return new Response(h.status === 204 ? null : text, { status: h.status, headers: h.headers });
    }
    return new Response(JSON.stringify(a), { status: 200, headers: { 'request-id': `req_${n}` } });
  };
  sim.client = new CatalogClient({
    apiKey: 'sim-key',
    baseUrl: 'http://catalog.test',
    fetch: fakeFetch as typeof fetch,
    now: sim.now,
    sleep: sim.sleep,
    random: sim.random,
    rateLimit: false,
    ...options.client,
  });
  return sim;
}
