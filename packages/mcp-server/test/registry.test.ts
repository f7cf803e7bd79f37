import { readFileSync } from 'node:fs';
import { ENV_API_KEY, ENV_BASE_URL } from '@catalog-crawl/core';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../src/version.js';

// server.json is what the MCP registry lists; the registry checks it against its published schema and checks
// that the npm package's `mcpName` names the same server.

const read = (path: string) => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8'));
const serverJson = read('../server.json');
const packageJson = read('../package.json');
const schema = read('./fixtures/server.schema.json');
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => void;

describe('MCP registry metadata', () => {
  it('server.json validates against the registry schema (vendored in test/fixtures, see its README)', () => {
    // The schema is draft-07 with `example` annotations: strict mode, with that one keyword declared, and without
    // strictRequired, which the published schema itself does not meet (it requires `valueHint` across allOf).
    const ajv = new Ajv({ strict: true, strictRequired: false, allErrors: true });
    ajv.addVocabulary(['example']);
    addFormats(ajv);
    const validate = ajv.compile(schema);
    expect(validate(serverJson), JSON.stringify(validate.errors)).toBe(true);
    expect(serverJson.$schema).toBe(schema.$id);
    // The schema is not vacuous: a broken copy fails.
    expect(validate({ ...serverJson, name: 'no-slash' })).toBe(false);
    expect(validate({ ...serverJson, packages: [{ ...serverJson.packages[0], version: 'latest' }] })).toBe(
      false,
    );
  });

  it('agrees with package.json and the code: name, mcpName, versions, env variables', () => {
    expect(packageJson.mcpName).toBe(serverJson.name);
    expect(serverJson.version).toBe(packageJson.version);
    expect(VERSION).toBe(packageJson.version);
    const [pkg] = serverJson.packages;
    expect(pkg).toMatchObject({
      registryType: 'npm',
      identifier: packageJson.name,
      version: packageJson.version,
    });
    expect(pkg.transport).toEqual({ type: 'stdio' });
    expect(pkg.environmentVariables.map((v: { name: string }) => v.name)).toEqual([
      ENV_API_KEY,
      ENV_BASE_URL,
    ]);
    expect(packageJson.files).toContain('server.json');
  });
});
