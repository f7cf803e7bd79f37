// A dry run of .github/workflows/release.yml up to the publish step: the `run:` scripts of its steps from
// `version` to `pack` are read from the workflow and run, as a workflow_dispatch run would, in a copy of this
// checkout (committed and uncommitted files, the built dist/ folders, this workspace's node_modules) to which
// the test adds a changeset. The steps after `pack` publish and move tags: they must only run on a release.
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cleanEnv, nodeBinary, PUBLIC_PACKAGES, ROOT, run } from './lib.js';

interface Step {
  id?: string;
  name?: string;
  if?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
}

const workflow = parse(readFileSync(join(ROOT, '.github/workflows/release.yml'), 'utf8'));
const job = workflow.jobs.release as { permissions: Record<string, string>; steps: Step[] };
const steps = job.steps;
const index = (id: string) => steps.findIndex((s) => s.id === id);
const RELEASE_ONLY = "github.event_name == 'release'";

const work = mkdtempSync(join(tmpdir(), 'catalog-crawl-release-'));
const repo = join(work, 'repo');
const runnerTemp = join(work, 'runner');
const version = JSON.parse(readFileSync(join(ROOT, 'packages/core/package.json'), 'utf8')).version as string;
const [major, minor] = version.split('.').map(Number) as [number, number];
const next = `${major}.${minor + 1}.0`;

/** Values of the few `${{ }}` expressions the workflow uses, for a given event. */
function expressions(event: string, tag: string): Record<string, string> {
  return {
    'github.event_name': event,
    'github.event.release.tag_name': tag,
    'runner.temp': runnerTemp,
    'secrets.NPM_TOKEN': '',
  };
}

function evaluate(text: string, values: Record<string, string>): string {
  return text.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`the test does not know the expression ${name}`);
    return values[name]!;
  });
}

/** Whether a step runs for the event: only the two conditions the workflow uses are understood. */
function runsFor(step: Step, event: string): boolean {
  if (step.if === undefined) return true;
  const match = /^github\.event_name (==|!=) '(\w+)'$/.exec(step.if.trim());
  if (!match) throw new Error(`the test does not understand the condition ${step.if}`);
  return match[1] === '==' ? event === match[2] : event !== match[2];
}

let node24: string;

/** Runs a step's script with bash, as the runner does, with the workflow's Node (24) first on PATH. */
async function runStep(step: Step, event: string, tag = '') {
  const values = expressions(event, tag);
  const env = cleanEnv({ GITHUB_EVENT_NAME: event, RUNNER_TEMP: runnerTemp, CI: 'true' });
  env['PATH'] = `${dirname(node24)}:${env['PATH']}`;
  for (const [name, value] of Object.entries(step.env ?? {})) env[name] = evaluate(String(value), values);
  return run('bash', ['-e', '-c', evaluate(step.run!, values)], { cwd: repo, env, timeoutMs: 300_000 });
}

beforeAll(async () => {
  expect(
    workflow.jobs.release.steps.find((s: Step) => s.uses?.startsWith('actions/setup-node')).with,
  ).toEqual({
    'node-version': 24,
  });
  node24 = await nodeBinary(24);
  // A copy of the checkout as the workflow has it after install and build.
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\0')
    .filter((f) => f !== '' && existsSync(join(ROOT, f)));
  for (const file of files) {
    mkdirSync(dirname(join(repo, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(repo, file));
  }
  for (const pkg of PUBLIC_PACKAGES) {
    cpSync(join(ROOT, 'packages', pkg, 'dist'), join(repo, 'packages', pkg, 'dist'), { recursive: true });
  }
  // The root's tools (changesets) from this workspace; the links between the copy's own packages, which
  // pnpm pack reads to replace `workspace:` ranges, point into the copy, where the versions change.
  symlinkSync(join(ROOT, 'node_modules'), join(repo, 'node_modules'), 'dir');
  // Every workspace package (pnpm-workspace.yaml: `dir` or `dir/*`), by name, as a folder of the copy.
  const dirs = new Map<string, string>();
  for (const pattern of parse(readFileSync(join(repo, 'pnpm-workspace.yaml'), 'utf8')).packages as string[]) {
    const folders = pattern.endsWith('/*')
      ? readdirSync(join(repo, pattern.slice(0, -2))).map((d) => join(pattern.slice(0, -2), d))
      : [pattern];
    for (const folder of folders) {
      const manifest = join(repo, folder, 'package.json');
      if (existsSync(manifest)) dirs.set(JSON.parse(readFileSync(manifest, 'utf8')).name, folder);
    }
  }
  for (const dir of dirs.values()) {
    const manifest = JSON.parse(readFileSync(join(repo, dir, 'package.json'), 'utf8'));
    for (const field of ['dependencies', 'peerDependencies', 'devDependencies']) {
      for (const name of Object.keys(manifest[field] ?? {})) {
        if (!dirs.has(name)) continue;
        const link = join(repo, dir, 'node_modules', name);
        mkdirSync(dirname(link), { recursive: true });
        if (!existsSync(link)) symlinkSync(join(repo, dirs.get(name)!), link, 'dir');
      }
    }
  }
  mkdirSync(runnerTemp);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'ignore' });
  git('init', '--quiet', '--initial-branch=main');
  git('add', '-A');
  git(
    '-c',
    'user.name=release-test',
    '-c',
    'user.email=release-test@localhost',
    'commit',
    '--quiet',
    '-m',
    'copy',
  );
  // What a contributor's `pnpm changeset` leaves: a minor change to one package of the fixed group, alone
  // (the changesets pending in the checkout would change the expected version).
  for (const file of readdirSync(join(repo, '.changeset'))) {
    if (file.endsWith('.md') && file !== 'README.md') rmSync(join(repo, '.changeset', file));
  }
  writeFileSync(
    join(repo, '.changeset', 'release-test.md'),
    '---\n"@catalog-crawl/emulator": minor\n---\n\nRelease test: a minor change to the emulator.\n',
  );
}, 600_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('release.yml', () => {
  it('runs on a published release and by hand, with the permissions provenance and tagging need', () => {
    expect(workflow.on.release.types).toEqual(['published']);
    expect(workflow.on).toHaveProperty('workflow_dispatch');
    expect(workflow.permissions).toEqual({ contents: 'read' });
    expect(job.permissions).toEqual({ contents: 'write', 'id-token': 'write' });
  });

  it('checks the committed bundle and the root action.yml before it versions, and guards every step after pack', () => {
    const before = steps.slice(0, index('version'));
    expect(before.some((s) => s.run?.includes('pnpm --filter @catalog-crawl/action check-dist'))).toBe(true);
    expect(before.some((s) => s.run?.includes('scripts/sync-action.mjs --check'))).toBe(true);
    expect(index('version')).toBeGreaterThan(0);
    expect(index('verify')).toBeGreaterThan(index('version'));
    expect(index('pack')).toBeGreaterThan(index('verify'));
    const after = steps.slice(index('pack') + 1);
    expect(after.length).toBeGreaterThanOrEqual(2);
    for (const step of after) expect(step.if).toBe(RELEASE_ONLY);
    const publish = after.find((s) => s.run?.includes('changeset publish'))!;
    expect(publish.run).toContain('--from-pack-dir "$PACK_DIR"');
    expect(publish.env?.['NPM_CONFIG_PROVENANCE']).toBe('true');
    const tagStep = after.find((s) => s.run?.includes('git push'))!;
    expect(tagStep.run).toContain('git tag -f "$major"');
  });

  it(`dry run: applies the changeset (${version} -> ${next} for the fixed group), verifies and packs`, async () => {
    const event = 'workflow_dispatch';
    const ran: string[] = [];
    for (const step of steps.slice(index('version'), index('pack') + 1)) {
      if (!runsFor(step, event)) continue;
      const result = await runStep(step, event);
      expect(result.code, `${step.id}: ${result.stdout}\n${result.stderr}`).toBe(0);
      ran.push(step.id!);
      if (step.id === 'verify') {
        expect(result.stdout).toContain(`dry run, would publish`);
        expect(result.stdout).toContain(`tag v${next}, major tag v${major}`);
      }
    }
    expect(ran).toEqual(['version', 'verify', 'pack']);
    for (const step of steps.slice(index('pack') + 1)) expect(runsFor(step, event)).toBe(false);

    // versions and changelogs
    expect(existsSync(join(repo, '.changeset', 'release-test.md'))).toBe(false);
    for (const pkg of PUBLIC_PACKAGES) {
      const manifest = JSON.parse(readFileSync(join(repo, 'packages', pkg, 'package.json'), 'utf8'));
      expect(manifest.version).toBe(next);
      const changelog = readFileSync(join(repo, 'packages', pkg, 'CHANGELOG.md'), 'utf8');
      expect(changelog).toContain(`## ${next}`);
    }
    expect(readFileSync(join(repo, 'packages/emulator/CHANGELOG.md'), 'utf8')).toContain(
      'Release test: a minor change to the emulator.',
    );
    // the private Action package is released by tags only
    const action = JSON.parse(readFileSync(join(repo, 'packages/action/package.json'), 'utf8'));
    expect(action.private).toBe(true);
    expect(action.version).toBe(version);

    // the tarballs to publish: the four packages at the new version, internal ranges rewritten
    const packed = readdirSync(join(runnerTemp, 'release', 'packages')).sort();
    expect(packed).toEqual(PUBLIC_PACKAGES.map((p) => `catalog-crawl-${p}-${next}.tgz`).sort());
    const cli = JSON.parse(
      execFileSync(
        'tar',
        [
          '-xOzf',
          join(runnerTemp, 'release', 'packages', `catalog-crawl-cli-${next}.tgz`),
          'package/package.json',
        ],
        {
          encoding: 'utf8',
        },
      ),
    );
    expect(cli.version).toBe(next);
    expect(cli.dependencies['@catalog-crawl/core']).toBe(next);
    expect(cli.peerDependencies['@catalog-crawl/emulator']).toBe(`^${next}`);
  });

  it('verify refuses a release whose tag is not the packages version, or with unapplied changesets', async () => {
    const verify = steps[index('verify')]!;
    const wrongTag = await runStep(verify, 'release', 'v99.0.0');
    expect(wrongTag.code).toBe(1);
    expect(wrongTag.stderr).toMatch(/the release tag is 'v99\.0\.0' but the packages are at/);
    writeFileSync(join(repo, '.changeset', 'late.md'), '---\n"@catalog-crawl/core": patch\n---\n\nLate.\n');
    try {
      const pending = await runStep(verify, 'workflow_dispatch');
      expect(pending.code).toBe(1);
      expect(pending.stderr).toContain('unapplied changesets');
    } finally {
      rmSync(join(repo, '.changeset', 'late.md'));
    }
  });
});
