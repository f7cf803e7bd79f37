import type { ToolContext } from './context.js';

/** Default bound of every single-shot tool, in ms: well under the ~60 s after which many MCP clients give up. */
export const DEFAULT_TOOL_TIMEOUT_MS = 30_000;
/** Largest bound accepted (`--tool-timeout`): still under the ~60 s client ceiling, with room for the answer. */
export const MAX_TOOL_TIMEOUT_MS = 50_000;
/** Time kept back from the bound to build and send the answer. */
const ANSWER_MARGIN_MS = 500;

/** The bound was reached before the API answered. Nothing is known about whether the request took effect. */
export class BoundReachedError extends Error {
  constructor(
    readonly boundMs: number,
    cause?: unknown,
  ) {
    super(
      `no answer from the Catalog API within ${Math.round(boundMs / 1000)} s`,
      cause === undefined ? undefined : { cause },
    );
    this.name = 'BoundReachedError';
  }
}

export interface Budget {
  signal: AbortSignal;
  /** Epoch ms: pass it to the client so that retries and timeouts stop before the bound. */
  deadline: number;
}

/**
 * Runs `fn` so that it settles within `boundMs`: the client gets the deadline (its retries and request
 * timeouts stop before it), and a timer turns anything still pending at the bound into a BoundReachedError.
 */
export async function withinBound<T>(
  ctx: Pick<ToolContext, 'toolTimeoutMs'>,
  callerSignal: AbortSignal,
  fn: (budget: Budget) => Promise<T>,
  boundMs: number = ctx.toolTimeoutMs,
): Promise<T> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(callerSignal.reason);
  if (callerSignal.aborted) controller.abort(callerSignal.reason);
  else callerSignal.addEventListener('abort', onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new BoundReachedError(boundMs));
      controller.abort(new BoundReachedError(boundMs));
    }, boundMs);
  });
  try {
    return await Promise.race([
      fn({ signal: controller.signal, deadline: Date.now() + boundMs - ANSWER_MARGIN_MS }),
      bound,
    ]);
  } finally {
    clearTimeout(timer);
    callerSignal.removeEventListener('abort', onAbort);
  }
}
