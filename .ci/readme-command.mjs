// Prints the first ```sh block under the README heading given as argument, so that CI runs the README's
// commands verbatim rather than a copy that could drift from them.
import { readFileSync } from 'node:fs';

const heading = process.argv[2];
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const start = readme.indexOf(`\n## ${heading}\n`);
const block = start < 0 ? null : /```sh\n([\s\S]*?)```/.exec(readme.slice(start));
if (!block) {
  console.error(`README.md has no \`\`\`sh block under "## ${heading}"`);
  process.exit(1);
}
process.stdout.write(block[1].trim());
