// Packs every public package as it would be published and installs the tarballs with npm into empty folders
// (no workspace, third-party dependencies from the registry), then runs each bin there and compiles an ESM and
// two CommonJS TypeScript consumers against the installed types.
//
// Packing uses `pnpm pack`, not `npm pack`: npm copies `workspace:*` specifiers into the tarball as they are,
// and npm cannot install those (EUNSUPPORTEDPROTOCOL); pnpm pack (and pnpm publish, which the release uses)
// rewrites them to the real versions. The first test checks that no `workspace:` is left.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVER_NAME } from '@catalog-crawl/mcp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanEnv,
  EMULATOR_KEY,
  type Json,
  mcpSession,
  PUBLIC_PACKAGES,
  ROOT,
  run,
  runOk,
  startEmulator,
} from './lib.js';

type Pkg = (typeof PUBLIC_PACKAGES)[number];
const work = mkdtempSync(join(tmpdir(), 'catalog-crawl-packed-'));
const tarballs = {} as Record<Pkg, string>;
const manifests = {} as Record<Pkg, Json>;
const full = join(work, 'full');
const lean = join(work, 'lean');
const bin = (dir: string, name: string) => join(dir, 'node_modules', '.bin', name);
const version = JSON.parse(readFileSync(join(ROOT, 'packages/core/package.json'), 'utf8')).version as string;

async function npmInstall(dir: string, packages: Pkg[], extra: string[] = []) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  await runOk(
    'npm',
    ['install', '--no-audit', '--no-fund', '--loglevel=error', ...packages.map((p) => tarballs[p]), ...extra],
    { cwd: dir, env: cleanEnv(), timeoutMs: 300_000 },
  );
}

beforeAll(async () => {
  mkdirSync(join(work, 'tgz'));
  for (const pkg of PUBLIC_PACKAGES) {
    await runOk('pnpm', ['pack', '--pack-destination', join(work, 'tgz')], {
      cwd: join(ROOT, 'packages', pkg),
      env: cleanEnv(),
      timeoutMs: 120_000,
    });
  }
  for (const file of readdirSync(join(work, 'tgz'))) {
    const pkg = PUBLIC_PACKAGES.find((p) => file === `catalog-crawl-${p}-${version}.tgz`);
    if (!pkg) throw new Error(`unexpected tarball ${file}`);
    tarballs[pkg] = join(work, 'tgz', file);
    manifests[pkg] = JSON.parse(
      execFileSync('tar', ['-xOzf', tarballs[pkg], 'package/package.json'], { encoding: 'utf8' }),
    );
  }
  // Everything, as a user who wants the demo (or the emulator for their tests) has it; and the CLI alone, as a
  // production install has it. Types for the consumers: TypeScript comes from the workspace, @types/node from
  // the registry, as any consumer gets them.
  await npmInstall(full, [...PUBLIC_PACKAGES], ['@types/node@^20.19.0']);
  await npmInstall(lean, ['cli', 'core']);
}, 900_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the tarballs', () => {
  it('hold the built code and bins, no sources or tests, and no workspace: specifiers', () => {
    for (const pkg of PUBLIC_PACKAGES) {
      const manifest = manifests[pkg];
      expect(manifest.version).toBe(version);
      expect(JSON.stringify(manifest)).not.toContain('workspace:');
      expect(manifest.engines.node).toBe('^20.19.0 || >=22.12.0');
      expect(manifest.publishConfig).toMatchObject({ access: 'public', provenance: true });
      const files = execFileSync('tar', ['-tzf', tarballs[pkg]], { encoding: 'utf8' }).split('\n');
      expect(files).toContain('package/dist/index.js');
      expect(files).toContain('package/dist/index.d.ts');
      expect(files.filter((f) => /^package\/(src|test)\//.test(f) || f.endsWith('.map'))).toEqual([]);
      for (const path of Object.values<string>(manifest.bin ?? {})) {
        expect(files).toContain(`package/${path.replace(/^\.\//, '')}`);
      }
    }
    // internal dependencies point at the released version
    expect(manifests.cli.dependencies['@catalog-crawl/core']).toBe(version);
    expect(manifests['mcp-server'].dependencies['@catalog-crawl/core']).toBe(version);
  });

  it('make the emulator an optional peer of the CLI, so a production install does not carry it', () => {
    expect(manifests.cli.dependencies['@catalog-crawl/emulator']).toBeUndefined();
    expect(manifests.cli.optionalDependencies?.['@catalog-crawl/emulator']).toBeUndefined();
    expect(manifests.cli.peerDependencies['@catalog-crawl/emulator']).toBe(`^${version}`);
    expect(manifests.cli.peerDependenciesMeta['@catalog-crawl/emulator']).toEqual({ optional: true });
    expect(readdirSync(join(lean, 'node_modules', '@catalog-crawl')).sort()).toEqual(['cli', 'core']);
  });
});

describe('the installed bins', () => {
  it('catalog-crawl --version', async () => {
    const result = await runOk(bin(full, 'catalog-crawl'), ['--version'], { cwd: full });
    expect(result.stdout.trim()).toBe(version);
  });

  it('catalog-crawl demo runs a crawl to completion against the installed emulator', async () => {
    const result = await run(bin(full, 'catalog-crawl'), ['demo', '--duration', '3s', '--no-color'], {
      cwd: full,
      timeoutMs: 120_000,
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Crawl of skims\.com completed: 4\/4 steps/);
  });

  it('catalog-crawl demo without the emulator says how to get it (exit 2, no stack trace)', async () => {
    const result = await run(bin(lean, 'catalog-crawl'), ['demo', '--no-color'], { cwd: lean });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('npm install @catalog-crawl/emulator');
    expect(result.stderr).toContain(
      'npx -p @catalog-crawl/cli -p @catalog-crawl/emulator catalog-crawl demo',
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
    // the rest of the CLI works without it
    expect((await runOk(bin(lean, 'catalog-crawl'), ['--version'], { cwd: lean })).stdout.trim()).toBe(
      version,
    );
  });

  it('catalog-crawl-mcp answers initialize over stdio and lists its tools', async () => {
    const { initialize, tools, result } = await mcpSession(
      process.execPath,
      [bin(full, 'catalog-crawl-mcp')],
      cleanEnv({ CATALOG_API_KEY: EMULATOR_KEY, CATALOG_API_BASE_URL: 'http://127.0.0.1:9' }),
    );
    expect(initialize.result.serverInfo.version).toBe(version);
    expect(initialize.result.capabilities.tools).toBeDefined();
    expect(tools.result.tools.map((t: { name: string }) => t.name)).toEqual(
      expect.arrayContaining([
        'start_crawl',
        'get_crawl_status',
        'wait_for_crawl',
        'cancel_crawl',
        'list_crawls',
      ]),
    );
    expect(result.code).toBe(0);
  });

  it('catalog-crawl-emulator starts and answers, and the installed CLI waits for a crawl on it', async () => {
    const emulator = await startEmulator(process.execPath, bin(full, 'catalog-crawl-emulator'), [
      '--speed',
      '500',
    ]);
    try {
      const denied = await fetch(`${emulator.url}/v2/crawl`);
      expect(denied.status).toBe(401);
      const listed = await fetch(`${emulator.url}/v2/crawl`, { headers: { 'x-api-key': EMULATOR_KEY } });
      expect(listed.status).toBe(200);
      expect(await listed.json()).toBeTypeOf('object');
      const result = await run(
        bin(full, 'catalog-crawl'),
        ['start', 'fast.example', '--wait', '--json', '--min-interval', '1s', '--max-interval', '2s'],
        { cwd: full, env: cleanEnv({ CATALOG_API_KEY: EMULATOR_KEY, CATALOG_API_BASE_URL: emulator.url }) },
      );
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const last = JSON.parse(result.stdout.trim().split('\n').pop()!);
      expect(JSON.stringify(last)).toContain('completed');
    } finally {
      await emulator.stop();
    }
  });
});

describe('types, for TypeScript consumers of the installed packages', () => {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  // Real use of every package; the @ts-expect-error lines fail the compile if a type resolved to `any`.
  const body = (imports: string) => `${imports}
const emulator: Emulator = await startEmulator({ host: '127.0.0.1', port: 0, speed: 1 });
const client = new CatalogClient({ apiKey: DEFAULT_API_KEY, baseUrl: emulator.url });
const started = await client.startCrawl({ url: 'fast.example' });
const crawl: Crawl = await client.getCrawl(started.executionId);
// @ts-expect-error: status is a string union, not a number
const wrong: number = crawl.status;
// @ts-expect-error: the constructor needs options (never called)
const neverCalled = () => new CatalogClient(42);
let printedVersion = '';
const exitOk: number = await run(['--version'], { stdout: { write: (text: string) => { printedVersion += text; return true; } } });
console.log(JSON.stringify({ status: crawl.status, server: SERVER_NAME, exitOk, version: printedVersion.trim(), wrong: typeof wrong, f: typeof neverCalled }));
await emulator.close();
`;
  const consumers: Record<string, { type: string; module: string; file: string; source: string }> = {
    'ESM (type: module, nodenext)': {
      type: 'module',
      module: 'nodenext',
      file: 'index.ts',
      source: body(`import { CatalogClient, type Crawl } from '@catalog-crawl/core';
import { DEFAULT_API_KEY, type Emulator, startEmulator } from '@catalog-crawl/emulator';
import { SERVER_NAME } from '@catalog-crawl/mcp-server';
import { run } from '@catalog-crawl/cli';`),
    },
    // TypeScript's node16 mode reads require() of an ES module as an error, so a CommonJS consumer there uses
    // import() (attw's "ESM (dynamic import only)"), with types from import type ... resolution-mode import.
    'CommonJS (type: commonjs, node16, import())': {
      type: 'commonjs',
      module: 'node16',
      file: 'index.cts',
      source: `import type { Crawl } from '@catalog-crawl/core' with { 'resolution-mode': 'import' };
import type { Emulator } from '@catalog-crawl/emulator' with { 'resolution-mode': 'import' };
async function main() {
  const { CatalogClient } = await import('@catalog-crawl/core');
  const { DEFAULT_API_KEY, startEmulator } = await import('@catalog-crawl/emulator');
  const { SERVER_NAME } = await import('@catalog-crawl/mcp-server');
  const { run } = await import('@catalog-crawl/cli');
${body('')
  .split('\n')
  .map((l) => `  ${l}`)
  .join('\n')}
}
void main();
`,
    },
    // Node 20.19+ and 22.12+ (the engines range) load ES modules with require(); TypeScript 5.8+ allows it
    // under nodenext, so a plain CommonJS consumer can import them directly.
    'CommonJS (type: commonjs, nodenext, require of ESM)': {
      type: 'commonjs',
      module: 'nodenext',
      file: 'index.cts',
      source: `import { CatalogClient, type Crawl } from '@catalog-crawl/core';
import { DEFAULT_API_KEY, type Emulator, startEmulator } from '@catalog-crawl/emulator';
import { SERVER_NAME } from '@catalog-crawl/mcp-server';
import { run } from '@catalog-crawl/cli';
async function main() {
${body('')
  .split('\n')
  .map((l) => `  ${l}`)
  .join('\n')}
}
void main();
`,
    },
  };

  it.each(Object.entries(consumers))('%s compiles with tsc and runs', async (_name, consumer) => {
    const dir = mkdtempSync(join(full, 'consumer-'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: consumer.type }));
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: consumer.module,
          moduleResolution: consumer.module,
          target: 'es2022',
          strict: true,
          types: ['node'],
          outDir: 'out',
          // as consumers build; attw above checks the declaration files themselves
          skipLibCheck: true,
        },
        files: [consumer.file],
      }),
    );
    writeFileSync(join(dir, consumer.file), consumer.source);
    const compiled = await run(process.execPath, [tsc, '-p', '.'], { cwd: dir, timeoutMs: 180_000 });
    expect(compiled.stdout + compiled.stderr).toBe('');
    expect(compiled.code).toBe(0);
    const out = join(dir, 'out', consumer.file.replace(/\.(c?)ts$/, '.$1js'));
    if (consumer.module === 'nodenext' && consumer.type === 'commonjs') {
      expect(readFileSync(out, 'utf8')).toContain('require("@catalog-crawl/core")');
    }
    const ran = await runOk(process.execPath, [out], { cwd: dir, timeoutMs: 60_000 });
    const printed = JSON.parse(ran.stdout);
    expect(printed.status).toBe('pending');
    expect(printed).toMatchObject({ server: SERVER_NAME, exitOk: 0, wrong: 'string', f: 'function' });
    expect(printed.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it.each(PUBLIC_PACKAGES)(
    '@arethetypeswrong/cli finds no problem in %s (ESM only: CommonJS uses import())',
    async (pkg) => {
      const attw = join(ROOT, 'tests', 'release', 'node_modules', '.bin', 'attw');
      const result = await run(
        attw,
        [tarballs[pkg], '--format', 'json', '--no-definitely-typed', '--ignore-rules', 'cjs-resolves-to-esm'],
        { timeoutMs: 120_000 },
      );
      const report = JSON.parse(result.stdout);
      expect(result.code).toBe(0);
      // The only finding is the one ignored above: require() of an ES module under TypeScript's node16 rules.
      expect(new Set(report.analysis.problems.map((p: { kind: string }) => p.kind))).toEqual(
        new Set(['CJSResolvesToESM']),
      );
      const resolutions = report.analysis.entrypoints['.'].resolutions;
      for (const kind of ['node10', 'node16-cjs', 'node16-esm', 'bundler']) {
        expect(resolutions[kind].resolution.fileName).toMatch(/\/dist\/index\.d\.ts$/);
      }
    },
  );
});
