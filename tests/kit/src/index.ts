export {
  type ActionInput,
  type ActionYml,
  parseActionYml,
  readActionYml,
  runnerDefaults,
  setInYml,
} from './action-yml.js';
export { CANARY, canaryHits, errorTexts } from './canary.js';
export {
  crawlSteps,
  makeCrawl,
  makeEvent,
  makeHistory,
  makeResult,
  SAME_CRAWL,
  STEP_NAMES,
  statusBody,
} from './crawls.js';
export { type ForwardProxy, PROXY_ONLY_HOST, type Seen, startForwardProxy } from './forward-proxy.js';
export { createRandom, hashSeed, logUniform, mulberry32, uniform } from './prng.js';
export {
  type ActionRun,
  type ActionSpec,
  actionCanaryHits,
  parseFileCommands,
  type RunnerFiles,
  runAction,
} from './runner.js';
export { cleanEnv, type Proc, type ProcResult, type SpawnOptions, sleep, spawnNode, until } from './spawn.js';
