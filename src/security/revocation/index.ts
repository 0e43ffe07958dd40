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
