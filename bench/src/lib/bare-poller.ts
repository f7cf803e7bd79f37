/**
 * The scale benchmark's side-by-side row: the same work (start every crawl, poll each until it ends) through a
 * bare keep-alive `fetch` loop, none of our code. Runs in its own process (forked by scale.ts) so that its memory
 * and CPU are its own. The BareSpec arrives as the first IPC message (10,000 hosts are too long for argv); the
 * result goes back over IPC.
 *
 * The loop is as plain as a script that respects a rate limit can be: one FIFO of due requests, a pump that sends
 * while the sliding window has room and fewer than `maxInFlight` are unanswered (as p-limit would), a fixed
 * interval between a crawl's polls, a 1 s pause after a 429.
 */
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface BareSpec {
  url: string;
  apiKey: string;
  hosts: string[];
  rateLimit: { requests: number; windowMs: number };
  pollMs: number;
  timeoutMs: number;
  /** Unanswered requests at most (0: no cap, the window's whole burst at once). */
  maxInFlight: number;
}

export interface BareResult {
  type: 'bare';
  wallMs: number;
  gets: number;
  posts: number;
  got429: number;
  otherErrors: number;
  outcomes: Record<string, number>;
  cpuMs: number;
  baselineRssBytes: number;
  peakRssBytes: number;
  maxRssKiB: number;
  peakHeapBytes: number;
  baselineHeapBytes: number;
}

const TERMINAL = new Set(['completed', 'failed', 'canceled', 'cancelled']);

async function main(spec: BareSpec): Promise<BareResult> {
  v8.setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  const baseline = process.memoryUsage();
  let peakRss = baseline.rss;
  let peakHeap = baseline.heapUsed;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 100);

  interface Job {
    host: string;
    id?: string;
    deadline: number;
  }
  const queue: Job[] = [];
  // The last `requests` slots (ring buffer): +Infinity while unanswered, then the answer's time, so the window
  // has room when the oldest slot's answer is a window old (the server counts arrivals, which come between).
  const sent = new Float64Array(spec.rateLimit.requests).fill(Number.NEGATIVE_INFINITY);
  let ring = 0;
  let gets = 0;
  let posts = 0;
  let got429 = 0;
  let otherErrors = 0;
  let pending = spec.hosts.length;
  let inFlight = 0;
  const cap = spec.maxInFlight > 0 ? spec.maxInFlight : Number.POSITIVE_INFINITY;
  const outcomes: Record<string, number> = {};
  const headers = { 'x-api-key': spec.apiKey, 'content-type': 'application/json' };
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  let done!: () => void;
  const allDone = new Promise<void>((resolve) => {
    done = resolve;
  });
  const finish = (outcome: string) => {
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    if (--pending === 0) done();
  };
  const later = (job: Job, ms: number) => setTimeout(() => queue.push(job), ms);

  async function send(job: Job, slot: number): Promise<void> {
    if (Date.now() > job.deadline) {
      sent[slot] = performance.now();
      return finish('timed out');
    }
    inFlight++;
    try {
      const response = job.id
        ? await fetch(`${spec.url}/v2/crawl/${encodeURIComponent(job.id)}`, { headers })
        : await fetch(`${spec.url}/v2/crawl`, {
            method: 'POST',
            headers,
            body: JSON.stringify({ url: job.host }),
          });
      if (job.id) gets++;
      else posts++;
      const body = (await response.json()) as { execution_id?: string; status?: string };
      inFlight--;
      sent[slot] = performance.now();
      if (response.status === 429) {
        got429++;
        return void later(job, 1_000);
      }
      if (!response.ok) {
        otherErrors++;
        // A just-started crawl may not be readable yet: poll again later, as any script would.
        return void later(job, spec.pollMs);
      }
      if (!job.id) {
        job.id = body.execution_id;
        return void later(job, spec.pollMs);
      }
      if (body.status && TERMINAL.has(body.status)) return finish(body.status);
      later(job, spec.pollMs);
    } catch {
      inFlight--;
      sent[slot] = performance.now();
      otherErrors++;
      // A connection error: try again in a second, as a careful script would.
      later(job, 1_000);
    }
  }

  const pump = setInterval(() => {
    const now = performance.now();
    while (queue.length > 0 && inFlight < cap && now - sent[ring]! >= spec.rateLimit.windowMs) {
      const slot = ring;
      sent[slot] = Number.POSITIVE_INFINITY;
      ring = (ring + 1) % sent.length;
      void send(queue.shift()!, slot);
    }
  }, 5);
  const deadline = Date.now() + spec.timeoutMs;
  for (const host of spec.hosts) queue.push({ host, deadline });
  await allDone;
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuStart);
  clearInterval(pump);
  clearInterval(sampler);
  return {
    type: 'bare',
    wallMs,
    gets,
    posts,
    got429,
    otherErrors,
    outcomes,
    cpuMs: (cpu.user + cpu.system) / 1000,
    baselineRssBytes: baseline.rss,
    peakRssBytes: peakRss,
    maxRssKiB: process.resourceUsage().maxRSS,
    peakHeapBytes: peakHeap,
    baselineHeapBytes: baseline.heapUsed,
  };
}

const spec = await new Promise<BareSpec>((resolve) => process.once('message', (m: BareSpec) => resolve(m)));
const result = await main(spec);
process.send?.(result, () => process.disconnect?.());
