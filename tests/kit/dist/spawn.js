import { spawn } from 'node:child_process';
/**
 * A minimal environment for a child process: no inherited CATALOG_*, GITHUB_*, NO_COLOR or FORCE_COLOR.
 * `extra` adds variables; an `undefined` value removes one.
 */
export function cleanEnv(extra = {}) {
    const env = {};
    for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'SYSTEMROOT']) {
        const value = process.env[name];
        if (value !== undefined)
            env[name] = value;
    }
    for (const [k, v] of Object.entries(extra)) {
        if (v === undefined)
            delete env[k];
        else
            env[k] = v;
    }
    return env;
}
/** Spawns `node script ...args` with exactly `env`, collecting stdout and stderr as text. */
export function spawnNode(script, args, env, options = {}) {
    const started = performance.now();
    const child = spawn(process.execPath, [script, ...args], {
        env,
        cwd: options.cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const watchers = [];
    const check = () => {
        for (const w of [...watchers]) {
            if (w.test(stdout + stderr)) {
                watchers.splice(watchers.indexOf(w), 1);
                w.resolve();
            }
        }
    };
    child.stdout?.setEncoding('utf8').on('data', (d) => {
        stdout += d;
        check();
    });
    child.stderr?.setEncoding('utf8').on('data', (d) => {
        stderr += d;
        check();
    });
    const guard = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 90_000);
    const result = new Promise((resolve, reject) => {
        child.on('error', (error) => {
            clearTimeout(guard);
            reject(error);
        });
        child.on('close', (code, signal) => {
            clearTimeout(guard);
            const endedAt = performance.now();
            resolve({ code, signal, stdout, stderr, durationMs: endedAt - started, endedAt });
        });
    });
    return {
        child,
        result,
        output: () => ({ stdout, stderr }),
        waitFor(text, timeoutMs = options.waitForMs ?? 20_000) {
            const test = (s) => (typeof text === 'string' ? s.includes(text) : text.test(s));
            return new Promise((resolve, reject) => {
                const timer = setTimeout(() => {
                    const i = watchers.findIndex((w) => w.resolve === done);
                    if (i >= 0)
                        watchers.splice(i, 1);
                    reject(new Error(`timed out waiting for ${String(text)}; got:\n${stdout}\n${stderr}`));
                }, timeoutMs);
                const done = () => {
                    clearTimeout(timer);
                    resolve();
                };
                watchers.push({ test, resolve: done });
                check();
            });
        },
    };
}
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** Polls `check` every `stepMs` until it holds; throws after `timeoutMs`. */
export async function until(check, timeoutMs = 10_000, stepMs = 50) {
    const end = Date.now() + timeoutMs;
    while (!(await check())) {
        if (Date.now() > end)
            throw new Error('condition not met in time');
        await sleep(stepMs);
    }
}
//# sourceMappingURL=spawn.js.map