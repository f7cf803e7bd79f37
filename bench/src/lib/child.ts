import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Runs the benchmark module at `moduleUrl` in its own process (`--child <spec as JSON>`, so that its peak RSS
 * is its own), resolves with the first message it sends and then stops it. `execPath` picks the Node.
 */
export function runInChild<T>(moduleUrl: string, spec: unknown, what: string, execPath?: string): Promise<T> {
  const child = fork(fileURLToPath(moduleUrl), ['--child', JSON.stringify(spec)], {
    ...(execPath === undefined ? {} : { execPath }),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (message: T) => {
      resolve(message);
      child.kill();
    });
    child.once('exit', (code) => reject(new Error(`${what} exited (${code}) without a result`)));
  });
}
