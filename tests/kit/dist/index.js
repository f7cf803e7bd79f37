export { parseActionYml, readActionYml, runnerDefaults, setInYml, } from './action-yml.js';
export { CANARY, canaryHits, errorTexts } from './canary.js';
export { crawlSteps, makeCrawl, makeEvent, makeHistory, makeResult, STEP_NAMES, statusBody } from './crawls.js';
export { createRandom, hashSeed, logUniform, mulberry32, uniform } from './prng.js';
export { actionCanaryHits, parseFileCommands, runAction, } from './runner.js';
export { cleanEnv, sleep, spawnNode, until } from './spawn.js';
//# sourceMappingURL=index.js.map