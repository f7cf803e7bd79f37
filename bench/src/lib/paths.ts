import { fileURLToPath } from 'node:url';

/** The monorepo root (this file runs from bench/dist/lib/). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BENCH_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BENCH_DIST = fileURLToPath(new URL('../', import.meta.url));

export function repoPath(...parts: string[]): string {
  return [REPO_ROOT.replace(/\/$/, ''), ...parts].join('/');
}
