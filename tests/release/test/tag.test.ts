// `uses: OWNER/REPO@vX` and `uses: OWNER/REPO/packages/action@vX` run what git holds at the tag, with no
// install: the runner downloads the tag's archive and runs `node <runs.main>` (then runs.post). This test does
// the same from a throwaway clone: it tags the commit under test there, `git archive`s the tag into an empty
// folder (no node_modules anywhere above it), reads runs.main and runs.post from both action.yml files, and
// runs them with Node 24 as the runner would, against the emulator.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, parse as parsePath } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type Emulator, nodeBinary, quickCrawlInputs, ROOT, runActionStep, startEmulator } from './lib.js';

const work = mkdtempSync(join(tmpdir(), 'catalog-crawl-tag-'));
const clone = join(work, 'clone');
const archive = join(work, 'archive');
const workspace = join(work, 'workspace');
const version = JSON.parse(readFileSync(join(ROOT, 'packages/core/package.json'), 'utf8')).version as string;
const tag = `v${version}`;
let node24: string;
let emulator: Emulator;

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

beforeAll(async () => {
  // The commit under test (HEAD of this checkout), tagged in a clone so that the real repository is untouched.
  git(work, 'clone', '--quiet', '--no-checkout', ROOT, clone);
  git(clone, 'fetch', '--quiet', ROOT, 'HEAD');
  git(
    clone,
    '-c',
    'user.name=release-test',
    '-c',
    'user.email=release-test@localhost',
    'tag',
    '-a',
    tag,
    '-m',
    tag,
    'FETCH_HEAD',
  );
  mkdirSync(archive);
  mkdirSync(workspace);
  execFileSync('sh', ['-c', `git archive --format=tar "${tag}" | tar -x -C "${archive}"`], { cwd: clone });
  node24 = await nodeBinary(24);
  emulator = await startEmulator(
    process.execPath,
    join(ROOT, 'packages/emulator/bin/catalog-crawl-emulator.js'),
    ['--speed', '500'],
  );
}, 600_000);

afterAll(async () => {
  await emulator?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe(`the repository at a tag (git archive ${tag})`, () => {
  it('has the committed bundle and no node_modules, in it or above it', () => {
    expect(existsSync(join(archive, 'packages/action/dist/index.js'))).toBe(true);
    const found: string[] = [];
    for (const entry of readdirSync(archive, { recursive: true, withFileTypes: true })) {
      if (entry.isDirectory() && entry.name === 'node_modules')
        found.push(join(entry.parentPath, entry.name));
    }
    expect(found).toEqual([]);
    // Node would look for packages in every folder above the action too.
    for (let dir = archive; dir !== parsePath(dir).root; dir = dirname(dir)) {
      expect(existsSync(join(dirname(dir), 'node_modules')), `${dirname(dir)}/node_modules exists`).toBe(
        false,
      );
    }
  });

  describe.each(['action.yml', 'packages/action/action.yml'])('uses: %s', (file) => {
    const read = () => {
      const yml = parse(readFileSync(join(archive, file), 'utf8'));
      // The runner passes every input, with the action.yml default when the workflow does not set it.
      const inputs: Record<string, string> = {};
      for (const [name, spec] of Object.entries<{ default?: unknown }>(yml.inputs)) {
        const value = spec.default === undefined ? '' : String(spec.default);
        inputs[name] = value.includes('${{') ? '' : value;
      }
      return { yml, inputs, dir: dirname(join(archive, file)) };
    };

    it('runs.main starts and waits for a crawl; runs.post then exits cleanly', async () => {
      const { yml, inputs, dir } = read();
      expect(yml.runs.using).toBe('node24');
      expect(yml.runs['post-if']).toBe('always()');
      const main = join(dir, yml.runs.main);
      const post = join(dir, yml.runs.post);
      expect(main.startsWith(join(archive, 'packages/action/dist/'))).toBe(true);

      const step = await runActionStep(node24, main, {
        inputs: { ...inputs, ...quickCrawlInputs(emulator.url) },
        workspace,
      });
      expect(step.code, step.stdout + step.stderr).toBe(0);
      // every declared output is set
      expect(Object.keys(step.outputs).sort()).toEqual(Object.keys(yml.outputs).sort());
      expect(step.outputs['outcome']).toBe('completed');
      expect(step.outputs['execution-id']).toMatch(/fast-example/);
      expect(Number(step.outputs['listings-total'])).toBeGreaterThan(0);
      expect(JSON.parse(step.outputs['result']!).status).toBe('completed');
      expect(step.summary).toContain(step.outputs['execution-id']);

      const cleanup = await runActionStep(node24, post, {
        inputs: { ...inputs, ...quickCrawlInputs(emulator.url) },
        state: step.state,
        workspace,
      });
      expect(cleanup.code, cleanup.stdout + cleanup.stderr).toBe(0);
      expect(cleanup.stderr).toBe('');
    });

    it('runs.main reports a bad input as outcome error, without a stack trace', async () => {
      const { yml, inputs, dir } = read();
      const step = await runActionStep(node24, join(dir, yml.runs.main), {
        inputs: { ...inputs, ...quickCrawlInputs(emulator.url), timeout: '90' },
        workspace,
      });
      expect(step.code).toBe(1);
      expect(step.outputs['outcome']).toBe('error');
      expect(step.stdout).toMatch(/::error::.*timeout/);
      expect(step.stdout + step.stderr).not.toMatch(/\n\s+at /);
    });
  });
});
