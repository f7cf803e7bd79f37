import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ACTION_DIR } from './run-action.js';

describe('committed bundle', () => {
  it('is what the sources build (scripts/check-dist.mjs)', async () => {
    const result = await promisify(execFile)(
      process.execPath,
      [join(ACTION_DIR, 'scripts', 'check-dist.mjs')],
      {
        cwd: ACTION_DIR,
      },
    ).catch((error: { stdout: string; stderr: string; code: number }) => error);
    expect(result.stderr, result.stderr).not.toContain('check-dist: the committed bundle');
    expect(result.stdout).toContain('dist/ matches a fresh build');
  }, 180_000);
});
