export {
  ACR_MFA,
  ACR_PWD,
  ACR_VALUES,
  createMfaPolicy,
  type MfaNeed,
  type MfaPolicy,
} from './policy.js';
export {
  MfaService,
  resetMfa,
  type Actor,
  type MfaAttempt,
  type MfaCheck,
  type MfaFactorLabel,
  type MfaOutcome,
  type MfaServiceDeps,
  type SecretSealer,
} from './service.js';
export { newTotpSecret, normaliseTotpCode, totpStep, totpUri, TOTP_PERIOD_SEC } from './totp.js';
export { hashRecoveryCode, newRecoveryCodes, RECOVERY_CODE_COUNT } from './recovery.js';
export {
  parseAssertion,
  parseRegistration,
  relyingPartyOf,
  MAX_RESPONSE_CHARS,
  type RelyingParty,
} from './webauthn.js';
