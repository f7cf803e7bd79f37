#!/usr/bin/env node
// Fails when the committed bundle (packages/action/dist, as staged in git) is not what the sources build.
// 1. builds the sources into a temporary directory with the same rolldown config as `pnpm build`;
// 2. compares every file with dist/ in the working tree (both ways);
// 3. checks that dist/ in the working tree is what git has: no unstaged or untracked change (staged is fine,
//    it is what the next commit holds; in CI the index is HEAD).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

function list(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(relative(dir, join(entry.parentPath ?? entry.path, entry.name)));
  }
  return out.sort();
}

const problems = [];
const temp = mkdtempSync(join(tmpdir(), 'catalog-crawl-action-dist-'));
try {
  // The same build as `pnpm build` (rolldown.config.mjs), into the temporary directory.
  const rolldown = join(
    root,
    'node_modules',
    '.bin',
    process.platform === 'win32' ? 'rolldown.cmd' : 'rolldown',
  );
  execFileSync(rolldown, ['-c', 'rolldown.config.mjs'], {
    cwd: root,
    env: { ...process.env, CHECK_DIST_OUT: temp },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const built = list(temp);
  const committed = list(dist);
  for (const file of built) {
    if (!committed.includes(file)) problems.push(`missing from dist/: ${file}`);
    else if (!readFileSync(join(temp, file)).equals(readFileSync(join(dist, file)))) {
      problems.push(`differs from a fresh build: dist/${file}`);
    }
  }
  for (const file of committed)
    if (!built.includes(file)) problems.push(`not produced by the build: dist/${file}`);
} finally {
  rmSync(temp, { recursive: true, force: true });
}

let inGit = true;
try {
  execFileSync('git', ['rev-parse', '--is-inside-work-tree'], { cwd: root, stdio: 'ignore' });
} catch {
  inGit = false;
}
if (inGit) {
  const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=all', '--', 'dist'], {
    cwd: root,
    encoding: 'utf8',
  })
    .split('\n')
    // staged changes are what will be committed; unstaged and untracked ones are not
    .filter((line) => line.length > 3 && (line.startsWith('??') || line[1] !== ' '))
    .join('\n');
  if (status !== '') problems.push(`dist/ has changes git does not have (stage or commit them):\n${status}`);
} else {
  console.warn('check-dist: not a git checkout; compared the working tree only.');
}

if (problems.length > 0) {
  console.error('check-dist: the committed bundle is not what the sources build.');
  for (const problem of problems) console.error(`  ${problem}`);
  console.error("Run 'pnpm --filter @catalog-crawl/action build' and commit packages/action/dist.");
  process.exit(1);
}
console.log('check-dist: dist/ matches a fresh build of the sources.');
