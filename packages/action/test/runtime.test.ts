import { describe, expect, it } from 'vitest';
import { run } from '../src/main.js';
import { OUTPUT_NAMES } from '../src/outputs.js';
import { checkRuntime, RUNTIME_REQUIREMENT } from '../src/runtime.js';
import { CANARY, fakeSignals, mockToolkit } from './fixtures.js';

describe('runtime check', () => {
  it('accepts the runner Node versions and rejects older ones', () => {
    expect(checkRuntime('24.1.0')).toBeUndefined();
    expect(checkRuntime('v20.19.0')).toBeUndefined();
    expect(checkRuntime('22.12.0')).toBeUndefined();
    expect(checkRuntime('23.0.0')).toBeUndefined();
    expect(checkRuntime('20.18.1')).toMatch(/runner 2\.327\.1 or later/);
    expect(checkRuntime('21.7.3')).toMatch(/runner 2\.327\.1 or later/);
    expect(checkRuntime('22.11.0')).toMatch(/runner 2\.327\.1 or later/);
    expect(checkRuntime('16.20.2')).toBe(`${RUNTIME_REQUIREMENT} This step ran on Node 16.20.2.`);
  });

  it('fails the step with that sentence, every output set, before any request', async () => {
    const tk = mockToolkit({ 'api-key': CANARY, url: 'skims.com', 'api-base-url': 'http://127.0.0.1:9' });
    await run({ toolkit: tk, signals: fakeSignals().source, nodeVersion: '16.20.2' });
    expect(tk.failed).toEqual([`${RUNTIME_REQUIREMENT} This step ran on Node 16.20.2.`]);
    expect(Object.keys(tk.outputs).sort()).toEqual([...OUTPUT_NAMES].sort());
    expect(tk.outputs['outcome']).toBe('error');
    expect(tk.state['isPost']).toBeUndefined();
  });
});
