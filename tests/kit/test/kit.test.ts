import { describe, expect, it } from 'vitest';
import {
  type ActionRun,
  actionCanaryHits,
  CANARY,
  canaryHits,
  createRandom,
  makeCrawl,
  mulberry32,
  parseActionYml,
  parseFileCommands,
  runnerDefaults,
  setInYml,
  statusBody,
} from '../src/index.js';

describe('parseFileCommands', () => {
  it('reads heredocs and name=value lines', () => {
    const text = 'a=1\nresult<<ghadelimiter_x\n{"a":\n1}\nghadelimiter_x\nempty<<d\n\nd\nb=x=y\n';
    expect(parseFileCommands(text)).toEqual({ a: '1', result: '{"a":\n1}', empty: '', b: 'x=y' });
  });

  it('throws on a malformed file rather than hiding it', () => {
    expect(() => parseFileCommands('result<<d\nvalue\n')).toThrow(/unterminated value for result/);
    expect(() => parseFileCommands('no equals sign')).toThrow(/bad file command line/);
    expect(() => parseFileCommands('=value')).toThrow(/bad file command line/);
  });
});

describe('action.yml reader', () => {
  const source = [
    'name: X',
    'inputs:',
    '  api-key:',
    '    description: >-',
    '      folded',
    '      text',
    '    required: true',
    '  wait:',
    '    default: "true" # quoted',
    '  timeout:',
    '    default: 60m',
    '  token:',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not a JS template
    '    default: ${{ github.token }}',
    'outputs:',
    '  outcome:',
    '    description: How it ended.',
    '  result:',
    '    description: JSON.',
    'runs:',
    '  using: node24 # the runner',
    '  main: dist/index.js',
    '',
  ].join('\n');

  it('reads inputs, outputs and runs with a YAML parser', () => {
    const yml = parseActionYml(source);
    expect(yml.inputs['api-key']).toEqual({ description: 'folded text', required: true, default: undefined });
    expect(Object.keys(yml.outputs)).toEqual(['outcome', 'result']);
    expect(yml.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
    expect(runnerDefaults(yml)).toEqual({ 'api-key': '', wait: 'true', timeout: '60m', token: '' });
  });

  it('rewrites one scalar and keeps the rest', () => {
    const out = setInYml(source, ['runs', 'using'], 'node20');
    expect(parseActionYml(out).runs['using']).toBe('node20');
    expect(parseActionYml(out).inputs).toEqual(parseActionYml(source).inputs);
    expect(() => parseActionYml('- a list')).toThrow(/not a mapping/);
  });
});

describe('canary', () => {
  const run = (stdout: string): ActionRun => ({
    code: 0,
    signal: null,
    stdout,
    stderr: '',
    durationMs: 0,
    endedAt: 0,
    outputsText: '',
    outputs: {},
    stateText: '',
    state: {},
    summary: '',
  });

  it('finds the key and its encoded form', () => {
    expect(canaryHits({ a: 'no key here' })).toEqual([]);
    expect(canaryHits({ a: `x ${CANARY} y` })).toHaveLength(1);
    expect(canaryHits({ a: encodeURIComponent('k y/+') }, 'k y/+')).toHaveLength(1);
  });

  it('ignores only the add-mask commands that mask the key', () => {
    expect(actionCanaryHits(run(`::add-mask::${CANARY}\nok`))).toEqual([]);
    expect(actionCanaryHits(run(`::add-mask::${CANARY}%0Asecond`), `${CANARY}\nsecond`)).toEqual([]);
    expect(actionCanaryHits(run(`::add-mask::${CANARY}%0AX-Evil: 1`))).toEqual([]);
    expect(actionCanaryHits(run(`::add-mask::other\n${CANARY}`))).toHaveLength(1);
    expect(actionCanaryHits(run(`::warning::${CANARY}`))).toHaveLength(1);
    expect(actionCanaryHits(run(`::add-mask::${CANARY}x\n${CANARY}`), `${CANARY}x`, [CANARY])).toHaveLength(
      1,
    );
  });
});

describe('prng', () => {
  // The sequences of the copies this replaced (bench's createRandom and the fault suite's seeded).
  it('keeps the sequences of the copies it replaced', () => {
    const r = createRandom('wait-efficiency');
    expect([r(), r(), r()]).toEqual([0.1884941931348294, 0.23127524321898818, 0.30131154716946185]);
    const s = mulberry32(42);
    expect([s(), s(), s()]).toEqual([0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
  });
});

describe('crawl builders', () => {
  it('build a crawl and an API body of the four steps', () => {
    expect(makeCrawl({ stepStatuses: ['completed', 'failed'] }).steps.map((s) => s.status)).toEqual([
      'completed',
      'failed',
      'pending',
      'pending',
    ]);
    const body = statusBody('running', 2, [3, 4]) as {
      meta: { steps: { status: string }[]; progress: unknown };
    };
    expect(body.meta.steps.map((s) => s.status)).toEqual(['completed', 'completed', 'running', 'pending']);
    expect(body.meta.progress).toEqual({ collections_found: 3, listings_found: 4 });
    expect(statusBody('completed', 0, null)).not.toHaveProperty('meta.progress');
  });
});
