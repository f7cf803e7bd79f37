/** Kept equal to package.json's version by test/version.test.ts (tsc's rootDir=src keeps package.json out of reach). */
export const VERSION = '0.1.0';
