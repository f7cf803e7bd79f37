export { CANCELLED_ERROR, normaliseHost, STEP_NAMES } from './crawls.js';
export { FAULT_KINDS } from './faults.js';
export { DEFAULT_API_KEY, DEFAULT_RATE_LIMIT, startEmulator } from './server.js';
export type {
  ApiKey,
  CancelledStatus,
  CancelRefusalStatus,
  Emulator,
  EmulatorOptions,
  FaultConfig,
  FaultKind,
  FaultMatch,
  ListActiveStatus,
  RepeatLastPage,
  RequestRecord,
  ResultsEnvelope,
  ResultsMethods,
  TotalsPlacement,
  UnknownVendor,
} from './types.js';
