// Builds dist/: one minified ESM file the runner runs (dist/index.js), a lazy chunk for comment-on-pr
// (@actions/github), dist/package.json and dist/licenses.txt. `node scripts/check-dist.mjs` builds the same
// way into a temporary directory (CHECK_DIST_OUT) and compares.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { defineConfig } from 'rolldown';

const outDir = process.env.CHECK_DIST_OUT || 'dist';

/**
 * @actions/core's OIDC client (getIDToken) pulls in @actions/http-client and its bundled undici: about 1 MB
 * that took ~200 ms of start-up on Node 24 here, for a function this Action never calls (it uses Node's own
 * fetch). Everything else of @actions/core is bundled as is. @actions/github keeps its HTTP client: it is only
 * loaded, in its own chunk, for comment-on-pr.
 */
const OIDC_STUB = `export class OidcClient {
  static async getIDToken() {
    throw new Error('getIDToken is not bundled in this action');
  }
}
`;
// Likewise `core.platform` (OS details through @actions/exec, which spawns processes): never used here.
const PLATFORM_STUB = 'export {};\n';
const STUBS = { './oidc-utils.js': OIDC_STUB, './platform.js': PLATFORM_STUB };
const STUB_PREFIX = '\0actions-core-stub:';
function withoutUnusedActionsCore() {
  return {
    name: 'without-unused-actions-core',
    resolveId(source, importer) {
      if (
        Object.hasOwn(STUBS, source) &&
        importer &&
        /[\\/]@actions[\\/]core[\\/]lib[\\/]core\.js$/.test(importer)
      ) {
        return `${STUB_PREFIX}${source}`;
      }
      return null;
    },
    load(id) {
      return id.startsWith(STUB_PREFIX) ? STUBS[id.slice(STUB_PREFIX.length)] : null;
    },
  };
}

/** The package directory (with package.json) that holds a bundled file under node_modules. */
function packageDir(file) {
  const at = file.lastIndexOf(`${sep}node_modules${sep}`);
  if (at < 0) return undefined;
  const rest = file.slice(at + 14).split(sep);
  const depth = rest[0]?.startsWith('@') ? 2 : 1;
  return join(file.slice(0, at + 14), ...rest.slice(0, depth));
}

/** dist/licenses.txt: name, license and licence text of every third-party package in the bundle. */
function licenses() {
  return {
    name: 'licenses',
    generateBundle(_options, bundle) {
      const dirs = new Set();
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== 'chunk') continue;
        for (const id of chunk.moduleIds) {
          const dir = packageDir(id);
          if (dir && existsSync(join(dir, 'package.json'))) dirs.add(dir);
        }
      }
      const entries = [...dirs]
        .map((dir) => {
          const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
          const file = readdirSync(dir).find((name) => /^(licen[cs]e|copying)/i.test(name));
          const text = file ? readFileSync(join(dir, file), 'utf8').trim() : '';
          return { name: pkg.name, license: pkg.license ?? 'UNKNOWN', text };
        })
        .filter((entry, i, all) => all.findIndex((e) => e.name === entry.name) === i)
        .sort((a, b) => a.name.localeCompare(b.name));
      this.emitFile({
        type: 'asset',
        fileName: 'licenses.txt',
        source: entries.map((e) => `${e.name}\n${e.license}\n${e.text}\n`).join('\n'),
      });
      this.emitFile({ type: 'asset', fileName: 'package.json', source: '{\n  "type": "module"\n}\n' });
    },
  };
}

export default defineConfig({
  input: 'src/index.ts',
  platform: 'node',
  tsconfig: 'tsconfig.json',
  plugins: [withoutUnusedActionsCore(), licenses()],
  output: {
    dir: outDir,
    format: 'esm',
    entryFileNames: 'index.js',
    chunkFileNames: '[name].js',
    minify: true,
    // Stable names: the committed bundle must be reproducible (check-dist).
    hashCharacters: 'base36',
  },
});
