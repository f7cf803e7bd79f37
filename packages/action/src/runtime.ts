/** The sentence the README gives, and the step fails with, when the runtime is too old. */
export const RUNTIME_REQUIREMENT =
  'This action runs on node24, which needs GitHub Actions runner 2.327.1 or later (and at the very least Node 20.19 or 22.12, as package.json says): update the runner.';

/** package.json's engines, `^20.19.0 || >=22.12.0`, as a check. */
function supported(major: number, minor: number): boolean {
  if (major === 20) return minor >= 19;
  if (major === 22) return minor >= 12;
  return major > 22;
}

/**
 * Returns why the Action cannot run on this Node, or undefined. A runner older than 2.327.1 refuses
 * `using: node24` before any of our code runs; this catches a runner that starts us on an older Node anyway.
 */
export function checkRuntime(nodeVersion: string): string | undefined {
  const [major = 0, minor = 0] = nodeVersion.replace(/^v/, '').split('.').map(Number);
  return supported(major, minor) ? undefined : `${RUNTIME_REQUIREMENT} This step ran on Node ${nodeVersion}.`;
}
