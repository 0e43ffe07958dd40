export {
  recordRevocations,
  listLiveRevocations,
  pruneRevocations,
  MAX_REVOCATION_ID_LENGTH,
  type NewRevocation,
  type StoredRevocation,
  type RevocationKind,
  type RevocationActor,
  type SessionRevocation,
  type SubjectRevocation,
  type WindowRevocation,
} from './revocations.js';
