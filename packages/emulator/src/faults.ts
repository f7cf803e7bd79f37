import { seededRandom } from './random.js';
import type { FaultConfig, FaultKind, FaultMatch } from './types.js';

export const FAULT_KINDS: readonly FaultKind[] = [
  'server_error',
  'html_error',
  'truncated_json',
  'invalid_json',
  'reset',
  'slow',
  'rate_limit',
];

type ShareKey =
  | 'serverError'
  | 'htmlError'
  | 'truncatedJson'
  | 'invalidJson'
  | 'reset'
  | 'slow'
  | 'rateLimitBurst';

const SHARE_KEYS: Record<FaultKind, ShareKey> = {
  server_error: 'serverError',
  html_error: 'htmlError',
  truncated_json: 'truncatedJson',
  invalid_json: 'invalidJson',
  reset: 'reset',
  slow: 'slow',
  rate_limit: 'rateLimitBurst',
};

export const DEFAULT_SLOW_MS = 35_000;
const SERVER_ERROR_STATUSES = [500, 502, 503];

export interface FaultDecision {
  kind: FaultKind;
  /** For server_error. */
  status: number;
  /** For slow. */
  slowMs: number;
  /** For rate_limit. */
  retryAfterSeconds: number;
}

export function validateFaultConfig(config: FaultConfig): void {
  let sum = 0;
  for (const kind of FAULT_KINDS) {
    const share = config[SHARE_KEYS[kind]];
    if (share === undefined) continue;
    if (typeof share !== 'number' || !(share >= 0 && share <= 1)) {
      throw new RangeError(`fault share ${SHARE_KEYS[kind]} must be a number between 0 and 1`);
    }
    sum += share;
  }
  if (sum > 1 + 1e-9) throw new RangeError('fault shares must add up to at most 1');
  if (config.slowMs !== undefined && !(Number.isFinite(config.slowMs) && config.slowMs >= 0)) {
    throw new RangeError('slowMs must be a number >= 0');
  }
  if (
    config.retryAfterSeconds !== undefined &&
    !(Number.isInteger(config.retryAfterSeconds) && config.retryAfterSeconds >= 0)
  ) {
    throw new RangeError('retryAfterSeconds must be an integer >= 0');
  }
}

/** Per-run seeded shares plus a queue of faults injected by tests for matching requests. */
export class Faults {
  private config: FaultConfig | undefined;
  private random: () => number = Math.random;
  private readonly queue: { kind: FaultKind; match: FaultMatch; remaining: number }[] = [];

  constructor(
    config: FaultConfig | undefined,
    private readonly defaultSeed: string | number,
  ) {
    this.set(config);
  }

  set(config: FaultConfig | undefined): void {
    if (config) validateFaultConfig(config);
    this.config = config;
    this.random = seededRandom('faults', config?.seed ?? this.defaultSeed);
  }

  inject(kind: FaultKind, match: FaultMatch = {}): void {
    if (!FAULT_KINDS.includes(kind)) throw new RangeError(`unknown fault kind: ${String(kind)}`);
    const count = match.count ?? 1;
    if (!(Number.isInteger(count) && count >= 1)) throw new RangeError('count must be an integer >= 1');
    this.queue.push({ kind, match, remaining: count });
  }

  decide(method: string, path: string): FaultDecision | undefined {
    const config = this.config ?? {};
    const base = {
      status: 500,
      slowMs: config.slowMs ?? DEFAULT_SLOW_MS,
      retryAfterSeconds: config.retryAfterSeconds ?? 1,
    };
    const index = this.queue.findIndex(({ match }) => matches(match, method, path));
    if (index !== -1) {
      const entry = this.queue[index]!;
      if (--entry.remaining === 0) this.queue.splice(index, 1);
      return {
        ...base,
        kind: entry.kind,
        status: entry.match.status ?? this.serverStatus(),
        slowMs: entry.match.slowMs ?? base.slowMs,
      };
    }
    if (!this.config) return undefined;
    const draw = this.random();
    let cumulative = 0;
    for (const kind of FAULT_KINDS) {
      cumulative += config[SHARE_KEYS[kind]] ?? 0;
      if (draw < cumulative) {
        return { ...base, kind, status: kind === 'server_error' ? this.serverStatus() : 500 };
      }
    }
    return undefined;
  }

  private serverStatus(): number {
    return SERVER_ERROR_STATUSES[Math.floor(this.random() * SERVER_ERROR_STATUSES.length)]!;
  }
}

function matches(match: FaultMatch, method: string, path: string): boolean {
  if (match.method && match.method.toUpperCase() !== method) return false;
  if (match.path === undefined) return true;
  return typeof match.path === 'string' ? match.path === path : match.path.test(path);
}
