import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * The binary of Node `major` from the npm registry (`npx -y node@<major>`), for benchmarks that measure the
 * Nodes users run rather than this machine's. Call it before any timing starts: each `npx` costs about a
 * second.
 */
export function registryNode(major: number): string {
  const r = spawnSync('npx', ['-y', `node@${major}`, '-p', 'process.execPath'], { encoding: 'utf8' });
  const path = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !existsSync(path)) {
    throw new Error(
      `could not get Node ${major} with \`npx -y node@${major}\` (exit ${r.status}): ${r.stderr.trim().slice(0, 300)}`,
    );
  }
  return path;
}
