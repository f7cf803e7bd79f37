/** Node versions older than this cannot run the bundle (package.json engines). */
const MIN_NODE = [20, 12] as const;

/** The sentence the README gives, and the step fails with, when the runtime is too old. */
export const RUNTIME_REQUIREMENT =
  'This action runs on node24, which needs GitHub Actions runner 2.327.1 or later (Node 20.12 at the very least): update the runner.';

/**
 * Returns why the Action cannot run on this Node, or undefined. A runner older than 2.327.1 refuses
 * `using: node24` before any of our code runs; this catches a runner that starts us on an older Node anyway.
 */
export function checkRuntime(nodeVersion: string): string | undefined {
  const [major = 0, minor = 0] = nodeVersion.replace(/^v/, '').split('.').map(Number);
  const tooOld = major < MIN_NODE[0] || (major === MIN_NODE[0] && minor < MIN_NODE[1]);
  return tooOld ? `${RUNTIME_REQUIREMENT} This step ran on Node ${nodeVersion}.` : undefined;
}
