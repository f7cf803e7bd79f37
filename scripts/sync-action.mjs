#!/usr/bin/env node
// Writes the root action.yml from packages/action/action.yml, the one source of truth for the Action's inputs
// and outputs. GitHub lists an action on the Marketplace only when its action.yml is at the repository root,
// so the root copy runs the same committed bundle, with the `runs` paths made relative to the root.
//
//   node scripts/sync-action.mjs           rewrite action.yml           (pnpm sync-action)
//   node scripts/sync-action.mjs --check   exit 1 if action.yml is stale (the release tests run this)
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SOURCE = 'packages/action/action.yml';
export const TARGET = 'action.yml';
const PREFIX = 'packages/action/';
const HEADER = `# Generated from ${SOURCE} by \`pnpm sync-action\`: edit that file, not this one.\n`;

/** The root action.yml for a given packages/action/action.yml text. */
export function rootActionYml(source) {
  const lines = source.replace(/\r\n/g, '\n').split('\n');
  const start = lines.indexOf('runs:');
  if (start < 0) throw new Error(`${SOURCE} has no top-level "runs:" section`);
  let rewritten = 0;
  for (let i = start + 1; i < lines.length && !/^\S/.test(lines[i]); i++) {
    // main, pre and post are paths relative to the action.yml that names them.
    const match = /^( {2}(?:main|pre|post):\s*)(['"]?)([^'"#\s]+)\2(\s*(?:#.*)?)$/.exec(lines[i]);
    if (!match) continue;
    const [, key, quote, path, rest] = match;
    if (path.startsWith('/') || path.startsWith('..'))
      throw new Error(`${SOURCE}: unexpected runs path ${path}`);
    lines[i] = `${key}${quote}${PREFIX}${path.replace(/^\.\//, '')}${quote}${rest}`;
    rewritten++;
  }
  if (rewritten === 0) throw new Error(`${SOURCE}: no runs.main to rewrite`);
  return HEADER + lines.join('\n');
}

function main() {
  const expected = rootActionYml(readFileSync(join(ROOT, SOURCE), 'utf8'));
  let current = null;
  try {
    current = readFileSync(join(ROOT, TARGET), 'utf8');
  } catch {}
  if (process.argv.includes('--check')) {
    if (current !== expected) {
      console.error(
        `${TARGET} is not what ${SOURCE} generates. Run 'pnpm sync-action' and commit ${TARGET}.`,
      );
      process.exit(1);
    }
    console.log(`${TARGET} matches ${SOURCE}.`);
  } else if (current === expected) {
    console.log(`${TARGET} is up to date.`);
  } else {
    writeFileSync(join(ROOT, TARGET), expected);
    console.log(`Wrote ${TARGET} from ${SOURCE}.`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
