/**
 * Process signals to one AbortSignal, with the escape hatches every face needs: the first SIGINT/SIGTERM
 * aborts (so waits stop and, if asked, cancel their crawl); a second one, or a grace period running out,
 * asks the caller to leave at once. What "leave" means (exit code, message, writing what is known) belongs
 * to the face.
 */

export type InterruptSignalName = 'SIGINT' | 'SIGTERM';

/** Something that delivers signals: `process`, or a fake in tests. */
export interface SignalSource {
  on(signal: InterruptSignalName, listener: () => void): unknown;
  off(signal: InterruptSignalName, listener: () => void): unknown;
}

export interface ForceInfo {
  /** `second_signal`: another signal arrived after the first; `grace`: graceMs passed after the first. */
  reason: 'second_signal' | 'grace';
  /** The first signal received. */
  first: InterruptSignalName;
  /** The signal that forced it (for `grace`, the first one). */
  signal: InterruptSignalName;
}

export interface InterruptOptions {
  /** Default `process`. */
  source?: SignalSource;
  /** Default SIGINT and SIGTERM. */
  signals?: readonly InterruptSignalName[];
  /** Called once, on the first signal, before the abort. */
  onInterrupt?: (signal: InterruptSignalName) => void;
  /** Called at most once: on a second signal, or when graceMs has passed after the first. */
  onForce?: (info: ForceInfo) => void;
  /** After the first signal, call onForce after this long unless settled or disposed first. Off by default. */
  graceMs?: number;
}

export interface InterruptWatch {
  /** Aborted on the first signal; its reason is an Error naming the signal. */
  readonly signal: AbortSignal;
  /** The first signal received, if any. */
  readonly received: InterruptSignalName | undefined;
  /** Stops the grace timer: the face finished its work in time (signals are still listened to). */
  settle(): void;
  /** Stops listening and stops the grace timer. Idempotent. */
  dispose(): void;
}

export function watchInterrupts(options: InterruptOptions = {}): InterruptWatch {
  const source: SignalSource = options.source ?? process;
  const names = options.signals ?? (['SIGINT', 'SIGTERM'] as const);
  const controller = new AbortController();
  let received: InterruptSignalName | undefined;
  let forced = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stopTimer = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  const force = (info: ForceInfo) => {
    if (forced) return;
    forced = true;
    stopTimer();
    options.onForce?.(info);
  };
  const listeners = names.map((name) => {
    const listener = () => {
      if (received !== undefined) {
        force({ reason: 'second_signal', first: received, signal: name });
        return;
      }
      received = name;
      options.onInterrupt?.(name);
      if (options.graceMs !== undefined) {
        const first = name;
        timer = setTimeout(() => force({ reason: 'grace', first, signal: first }), options.graceMs);
      }
      controller.abort(new Error(`Interrupted by ${name}`));
    };
    source.on(name, listener);
    return { name, listener };
  });
  let disposed = false;
  return {
    signal: controller.signal,
    get received() {
      return received;
    },
    settle: stopTimer,
    dispose() {
      stopTimer();
      if (disposed) return;
      disposed = true;
      for (const { name, listener } of listeners) source.off(name, listener);
    },
  };
}
