export { LOCKS, type Db, type Queryable, type SqlValue } from './db.js';
export {
  isConnectionError,
  isInvalidInputError,
  isUnstorableText,
  toStorageError,
} from './db-errors.js';
export { createPgDb, type PgDbOptions, type PgSslOptions } from './pg.js';
export { openPgliteDb, type PgliteDbOptions } from './pglite.js';
export { acquireDirLock, LOCK_FILE, type DirLock, type LockOwner } from './dir-lock.js';
export { migrate, migrationsDir, listMigrations, type Migration } from './migrate.js';
export {
  PayloadStore,
  hashId,
  HASHED_MODELS,
  type PayloadStoreOptions,
  type StoredPayload,
} from './payload-store.js';
export { endGrantsLastRefreshedBefore, endGrantPayloads, type GrantEnding } from './grants.js';
export {
  garbageCollect,
  startGcTimer,
  type GcOptions,
  type GcResult,
  type GcLogger,
} from './gc.js';
export { openDb, type OpenDbHooks } from './open.js';
export {
  saveIdentity,
  findIdentity,
  subsOfUsername,
  listSeenUsers,
  type SeenUser,
  markIdentityChecked,
  markIdentityRefused,
  type IdentityRecord,
  type StoredIdentity,
} from './identities.js';
export { sharedSecret } from './secrets.js';
export {
  readThrottle,
  addThrottleFailure,
  clearThrottle,
  pruneThrottle,
  type ThrottleScope,
  type ThrottleState,
  type FailureRule,
} from './throttle-store.js';
export {
  insertAuditEvent,
  insertAuditEvents,
  type TimedAuditEvent,
  queryAuditEvents,
  pruneAuditEvents,
  type AuditOutcome,
  type AuditQuery,
  type AuditRecord,
  type NewAuditEvent,
} from './audit-store.js';
export { pruneUnderLock, type PruneResult } from './prune.js';
export * from './logins/index.js';
export {
  clientSecretContext,
  saveDexClient,
  findDexClient,
  setDexClientSecret,
  saveDexPassword,
  findDexPasswordByLogin,
  findDexPasswordByUserId,
  saveDexRefreshToken,
  claimDexRefreshToken,
  countDexRows,
  type ImportOutcome,
  type DexClientRow,
  type DexPasswordRow,
  type DexRefreshRow,
  type ClaimedDexToken,
} from './dex.js';
export { RequestMemo, memoKeys, type PendingWrite } from './read-memo.js';
export { sendWrites, storeHeldWrites } from './write-behind.js';
