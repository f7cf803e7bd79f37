import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** This package's version (read from package.json, one level above src/ and dist/). */
export const VERSION: string = (require('../package.json') as { version: string }).version;

export const SERVER_NAME = 'catalog-crawl';
