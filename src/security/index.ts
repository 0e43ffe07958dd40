export {
  createAudit,
  cleanText,
  scrubDetails,
  scrubEvent,
  type Audit,
  type AuditEvent,
  type AuditOutcome,
} from './audit.js';
export { clientAddress, throttleIpKey } from './client-ip.js';
export {
  createAccessPolicy,
  type AccessDecision,
  type AccessDenialReason,
  type AccessPolicy,
} from './client-access.js';
export {
  createGuardedAuthenticate,
  type Authenticator,
  type GuardedAuthenticate,
  type GuardedLoginDeps,
  type GuardedLoginResult,
  type LoginAttempt,
  type LoginChannel,
  type LoginRefusal,
} from './guarded-login.js';
export { pruneOnce, startRetentionTimer, type RetentionOptions } from './retention.js';
export {
  backoffMs,
  createLoginThrottle,
  decide,
  normaliseUsername,
  throttleSettings,
  type LoginThrottle,
  type ThrottleDecision,
  type ThrottleKey,
  type ThrottleReason,
  type ThrottleSettings,
} from './throttle.js';
export * from './mfa/index.js';
export {
  SessionService,
  summariseDevice,
  UNKNOWN_DEVICE,
  LastUseTracker,
  sessionJson,
  isActive,
  grantName,
  type SessionJson,
  type EndResult,
  type SessionActor,
  type SessionServiceDeps,
  type SessionStart,
  type SessionTarget,
} from './sessions/index.js';
export {
  createRevocations,
  denyEndedSessions,
  keepUntil,
  revocationPolicy,
  REVOCATION_CLOCK_SKEW_MS,
  type RevocationCause,
  type RevocationPolicy,
  type Revocations,
  type RevocationsDeps,
} from './revocation/index.js';
export * from './elevation/index.js';
