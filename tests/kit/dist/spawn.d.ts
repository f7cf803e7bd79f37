import { type ChildProcess } from 'node:child_process';
/**
 * A minimal environment for a child process: no inherited CATALOG_*, GITHUB_*, NO_COLOR or FORCE_COLOR.
 * `extra` adds variables; an `undefined` value removes one.
 */
export declare function cleanEnv(extra?: Record<string, string | undefined>): Record<string, string>;
export interface ProcResult {
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
    /** Wall time from spawn to exit. */
    durationMs: number;
    /** performance.now() at exit. */
    endedAt: number;
}
export interface Proc {
    child: ChildProcess;
    result: Promise<ProcResult>;
    output(): {
        stdout: string;
        stderr: string;
    };
    /** Resolves once stdout+stderr matches; rejects after `timeoutMs` with what was printed. */
    waitFor(test: string | RegExp, timeoutMs?: number): Promise<void>;
}
export interface SpawnOptions {
    cwd?: string;
    /** A hard SIGKILL after this long guards the suite against a hung child (default 90 s). */
    killAfterMs?: number;
    /** Default timeout of waitFor (default 20 s). */
    waitForMs?: number;
}
/** Spawns `node script ...args` with exactly `env`, collecting stdout and stderr as text. */
export declare function spawnNode(script: string, args: readonly string[], env: Record<string, string>, options?: SpawnOptions): Proc;
export declare const sleep: (ms: number) => Promise<void>;
/** Polls `check` every `stepMs` until it holds; throws after `timeoutMs`. */
export declare function until(check: () => boolean | Promise<boolean>, timeoutMs?: number, stepMs?: number): Promise<void>;
//# sourceMappingURL=spawn.d.ts.map