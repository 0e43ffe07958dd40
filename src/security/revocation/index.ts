export {
  keepUntil,
  revocationPolicy,
  REVOCATION_CLOCK_SKEW_MS,
  type RevocationPolicy,
} from './policy.js';
export {
  createRevocations,
  type RevocationCause,
  type Revocations,
  type RevocationsDeps,
} from './service.js';
export { denyEndedSessions, type EndedSessions, type SessionEnding } from './on-session-end.js';
