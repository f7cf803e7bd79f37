import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Emulator, startEmulator } from '@catalog-crawl/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INPUT_DEFAULTS } from '../src/inputs.js';
import { run } from '../src/main.js';
import { OUTPUT_NAMES } from '../src/outputs.js';
import { CANARY, fakeSignals, mockToolkit } from './fixtures.js';
import { ACTION_DIR } from './run-action.js';

let emulator: Emulator;
let n = 0;
const host = (scenario: string) => `${scenario}-unit${++n}.example`;
const noSignals = fakeSignals().source;

beforeAll(async () => {
  emulator = await startEmulator({ speed: 20, apiKeys: [{ key: CANARY, org: 'default' }] });
});
afterAll(async () => {
  await emulator?.close();
});

function inputs(extra: Record<string, string>): Record<string, string> {
  return {
    'api-key': CANARY,
    'api-base-url': emulator.url,
    'min-interval': '1s',
    'max-interval': '1s',
    ...extra,
  };
}

describe('run() with a mocked toolkit', () => {
  it('masks the key first, and never lets it through any channel', async () => {
    const tk = mockToolkit(inputs({ url: host('fast'), 'github-token': 'ghs_secret_token' }), {
      debug: true,
    });
    await run({ toolkit: tk, signals: noSignals });
    expect(tk.secrets).toEqual([CANARY, 'ghs_secret_token']);
    expect(tk.outputs['outcome']).toBe('completed');
    const everything = JSON.stringify([tk.lines, tk.outputs, tk.state, tk.summaries, tk.failed]);
    expect(everything).not.toContain(CANARY);
    expect(everything).not.toContain('ghs_secret_token');
    // raw payloads only at debug level
    const raw = tk.lines.filter((l) => l.text.includes('"execution_id"'));
    expect(raw.length).toBeGreaterThan(0);
    expect(raw.every((l) => l.level === 'debug')).toBe(true);
  });

  it('redacts the key even where a message would carry it', async () => {
    const tk = mockToolkit(inputs({ url: `https://${CANARY}.example` }));
    await run({ toolkit: tk, signals: noSignals });
    expect(JSON.stringify([tk.lines, tk.outputs, tk.summaries, tk.failed])).not.toContain(CANARY);
  });

  it('a summary write error never fails the step', async () => {
    const tk = mockToolkit(inputs({ url: host('fast') }), {
      summaryError: new Error('EACCES: summary file'),
    });
    await run({ toolkit: tk, signals: noSignals });
    expect(tk.outputs['outcome']).toBe('completed');
    expect(tk.failed).toEqual([]);
    expect(tk.lines).toContainEqual({
      level: 'warning',
      text: 'Could not write the job summary: EACCES: summary file',
    });
  });

  it('summary: false writes no summary', async () => {
    const tk = mockToolkit(inputs({ url: host('fast'), summary: 'false' }));
    await run({ toolkit: tk, signals: noSignals });
    expect(tk.summaries).toEqual([]);
    expect(tk.outputs['outcome']).toBe('completed');
  });

  it('an interruption cancels the crawl through the waiter, then writes everything', async () => {
    const { source, fire } = fakeSignals();
    const tk = mockToolkit(inputs({ url: host('long') }));
    const done = run({
      toolkit: tk,
      signals: source,
      exit: () => {
        throw new Error('exit must not be needed');
      },
    });
    while (!tk.lines.some((l) => l.text.includes('step 1/4'))) await new Promise((r) => setTimeout(r, 20));
    fire('SIGINT');
    await done;
    expect(tk.outputs['outcome']).toBe('canceled');
    expect(tk.state['finishedCleanly']).toBe('true');
    expect(tk.summaries[0]).toContain('⛔');
    expect(emulator.requests.filter((r) => r.method === 'DELETE')).toHaveLength(1);
  });

  it('a second signal writes what is known and exits at once', async () => {
    const { source, fire } = fakeSignals();
    let exitCode: number | undefined;
    // a DELETE that never answers in time: the emulator delays it
    emulator.injectFault('slow', { method: 'DELETE', slowMs: 20_000 });
    const tk = mockToolkit(inputs({ url: host('long') }));
    void run({
      toolkit: tk,
      signals: source,
      exit: (code) => {
        exitCode = code;
      },
    });
    while (!tk.lines.some((l) => l.text.includes('step 1/4'))) await new Promise((r) => setTimeout(r, 20));
    fire('SIGINT');
    await new Promise((r) => setTimeout(r, 200));
    fire('SIGTERM');
    while (exitCode === undefined) await new Promise((r) => setTimeout(r, 20));
    expect(exitCode).toBe(1);
    expect(tk.outputs['outcome']).toBe('canceled');
    expect(tk.outputs['error']).toMatch(/post step retries/);
    expect(tk.state['finishedCleanly']).toBeUndefined();
    expect(tk.summaries).toHaveLength(1);
  });
});

describe('action.yml', () => {
  const yml = readFileSync(join(ACTION_DIR, 'action.yml'), 'utf8');
  const section = (name: string) => {
    const start = yml.indexOf(`\n${name}:\n`);
    const end = yml.indexOf('\n\n', start + 1);
    return yml.slice(start, end);
  };

  it('declares every output with a description', () => {
    const outputs = [...section('outputs').matchAll(/^ {2}([a-z-]+):\n {4}description:/gm)].map((m) => m[1]);
    expect(outputs).toEqual([...OUTPUT_NAMES]);
  });

  it('has the same defaults as the code', () => {
    const inputs = section('inputs');
    for (const [name, value] of Object.entries(INPUT_DEFAULTS)) {
      const block = new RegExp(`^ {2}${name}:\\n(?: {4}.*\\n| {6}.*\\n)*? {4}default: (.*)$`, 'm').exec(
        inputs,
      );
      expect(block, name).not.toBeNull();
      expect(block![1]!.replace(/^(['"])(.*)\1$/, '$2'), name).toBe(value);
    }
    expect(inputs).toMatch(/ {2}github-token:\n[\s\S]*? {4}default: \$\{\{ github\.token \}\}/);
    expect(yml).toMatch(/ {2}using: node24\n {2}main: dist\/index\.js\n {2}post: dist\/index\.js\n/);
  });
});
