#!/usr/bin/env node
// `pnpm changeset ...`: runs @changesets/cli, which needs Node 22.11 or later. On an older Node (this
// repository still supports and tests Node 20) it runs the same command under Node 22 fetched with npx, so that
// every contributor can add a changeset.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const bin = join(dirname(createRequire(import.meta.url).resolve('@changesets/cli/package.json')), 'bin.js');
const [major, minor] = process.versions.node.split('.').map(Number);
const recent = major > 22 || (major === 22 && minor >= 11);
const [command, args] = recent
  ? [process.execPath, [bin, ...process.argv.slice(2)]]
  : ['npx', ['--loglevel=error', '-y', 'node@22', bin, ...process.argv.slice(2)]];
const result = spawnSync(command, args, { stdio: 'inherit' });
if (result.error) {
  console.error(`changeset: could not run ${command}: ${result.error.message}`);
  process.exit(1);
}
process.exit(result.status ?? 1);
