import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type ForceInfo, type SignalSource, watchInterrupts } from '../src/index.js';

function fakeSource() {
  const emitter = new EventEmitter();
  const source: SignalSource = {
    on: (name, listener) => emitter.on(name, listener),
    off: (name, listener) => emitter.off(name, listener),
  };
  return { source, fire: (name: 'SIGINT' | 'SIGTERM') => emitter.emit(name), count: emitter };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('watchInterrupts', () => {
  it('aborts on the first signal, once, naming it', () => {
    const { source, fire } = fakeSource();
    const seen: string[] = [];
    const watch = watchInterrupts({ source, onInterrupt: (s) => seen.push(s) });
    expect(watch.signal.aborted).toBe(false);
    expect(watch.received).toBeUndefined();
    fire('SIGTERM');
    expect(watch.signal.aborted).toBe(true);
    expect((watch.signal.reason as Error).message).toBe('Interrupted by SIGTERM');
    expect(watch.received).toBe('SIGTERM');
    expect(seen).toEqual(['SIGTERM']);
    watch.dispose();
  });

  it('a second signal forces, once', () => {
    const { source, fire } = fakeSource();
    const forced: ForceInfo[] = [];
    const watch = watchInterrupts({ source, onForce: (info) => forced.push(info) });
    fire('SIGINT');
    expect(forced).toEqual([]);
    fire('SIGTERM');
    fire('SIGINT');
    expect(forced).toEqual([{ reason: 'second_signal', first: 'SIGINT', signal: 'SIGTERM' }]);
    watch.dispose();
  });

  it('the grace period forces unless settled first', () => {
    vi.useFakeTimers();
    const { source, fire } = fakeSource();
    const forced: ForceInfo[] = [];
    const watch = watchInterrupts({ source, graceMs: 1000, onForce: (info) => forced.push(info) });
    fire('SIGINT');
    vi.advanceTimersByTime(999);
    expect(forced).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(forced).toEqual([{ reason: 'grace', first: 'SIGINT', signal: 'SIGINT' }]);
    watch.dispose();

    const settled: ForceInfo[] = [];
    const other = fakeSource();
    const second = watchInterrupts({
      source: other.source,
      graceMs: 1000,
      onForce: (info) => settled.push(info),
    });
    other.fire('SIGINT');
    second.settle();
    vi.advanceTimersByTime(5000);
    expect(settled).toEqual([]);
    second.dispose();
  });

  it('dispose stops listening', () => {
    const { source, fire, count } = fakeSource();
    const watch = watchInterrupts({ source, signals: ['SIGINT'] });
    expect(count.listenerCount('SIGINT')).toBe(1);
    expect(count.listenerCount('SIGTERM')).toBe(0);
    watch.dispose();
    watch.dispose();
    expect(count.listenerCount('SIGINT')).toBe(0);
    fire('SIGINT');
    expect(watch.signal.aborted).toBe(false);
  });
});
