#!/usr/bin/env node
// The release workflow's "verify" step: the four npm packages share one version (a changesets fixed group),
// no changeset is left unapplied, and on a release the tag is `v` + that version.
// Usage: node scripts/release-check.mjs <event name> [<release tag>]
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PUBLIC = ['core', 'cli', 'mcp-server', 'emulator'];
const problems = [];
const read = (dir) => JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'));

const versions = new Map(PUBLIC.map((dir) => [read(dir).name, read(dir).version]));
const distinct = [...new Set(versions.values())];
if (distinct.length !== 1) {
  problems.push(
    `the npm packages must share one version: ${[...versions].map((e) => e.join('@')).join(', ')}`,
  );
}
const version = distinct[0];
for (const dir of PUBLIC)
  if (read(dir).private) problems.push(`packages/${dir} is private but must be published`);
if (!read('action').private)
  problems.push('packages/action must stay private: it is released by git tags only');

const pending = readdirSync(join(root, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md');
if (pending.length > 0) {
  problems.push(`unapplied changesets (run 'pnpm changeset version' and commit): ${pending.join(', ')}`);
}
const [event = '', tag = ''] = process.argv.slice(2);
if (event === 'release' && tag !== `v${version}`) {
  problems.push(
    `the release tag is '${tag}' but the packages are at ${version}: the tag must be v${version}`,
  );
}

if (problems.length > 0) {
  for (const problem of problems) console.error(`release-check: ${problem}`);
  process.exit(1);
}
const major = `v${version.split('.')[0]}`;
console.log(
  `release-check: version ${version}; ${event === 'release' ? 'publishing' : 'dry run, would publish'} ` +
    `${[...versions.keys()].join(', ')}; tag v${version}, major tag ${major}.`,
);
