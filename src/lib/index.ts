/**
 * Small pieces every layer may use. Nothing here imports from the rest of src/ (the
 * dependency rules in .dependency-cruiser.cjs hold that line).
 */
export { parseDuration, formatDuration } from './duration.js';
export {
  compileGroupPattern,
  isValidGroupPattern,
  anyOf,
  type GroupMatcher,
} from './group-pattern.js';
export { withTimeout } from './with-timeout.js';
export { startPeriodic, type Periodic } from './periodic.js';
export { deleteInBatches, type BatchLimits } from './batches.js';
export { Closers, type Closer } from './closers.js';
export {
  dexSubject,
  parseDexSubject,
  encodeDexRefreshToken,
  decodeDexRefreshToken,
  type DexRefreshToken,
} from './dex-codec.js';
