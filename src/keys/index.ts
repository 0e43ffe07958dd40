export * from './keystore.js';
export { createSealer, isSealed } from './sealer.js';
export { keyPolicyFromConfig, DEFAULT_POLL_MS, CLOCK_SKEW_MS, type KeyPolicy } from './policy.js';
export { emitAll, type KeyEvent, type KeyEventType, type KeyEventListener } from './events.js';
export {
  maintainKeys,
  planRotation,
  keyStatus,
  type MaintainOptions,
  type MaintainResult,
  type RotationPlan,
  type KeyStatusRow,
} from './rotation.js';
export { revokeKey, type RevokeResult } from './revoke.js';
export { reencryptKeys, type ReencryptResult } from './reencrypt.js';
export { listKeys, formatKeyTable, type KeyInfo } from './list.js';
export {
  startKeyWatcher,
  type KeyWatcher,
  type KeyWatcherOptions,
  type KeyWatcherLogger,
} from './watcher.js';
export { prepareKeys, sealerFor, type PrepareKeysOptions } from './startup.js';
export { insertForeignKey, publicPart, type ForeignKey, type ForeignKeyOutcome } from './import.js';
