export { CANCELLED_ERROR, normaliseHost, STEP_NAMES } from './crawls.js';
export { FAULT_KINDS } from './faults.js';
export { DEFAULT_API_KEY, DEFAULT_RATE_LIMIT, startEmulator } from './server.js';
export type {
  ApiKey,
  Emulator,
  EmulatorOptions,
  FaultConfig,
  FaultKind,
  FaultMatch,
  RequestRecord,
} from './types.js';
