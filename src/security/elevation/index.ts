export type {
  Elevation,
  ElevationActor,
  ElevationFilter,
  ElevationPerson,
  ElevationRefusal,
  ElevationRequest,
  ElevationRole,
  ElevationState,
  Elevations,
} from './types.js';
export { createElevations, type ElevationDenyEntries, type ElevationsDeps } from './service.js';
export { ElevationRefused, isElevationRefused } from './refusal.js';
export {
  clusterClients,
  resolveRoles,
  publicRole,
  requestedSeconds,
  cleanReason,
  MAX_REASON_LENGTH,
  type ResolvedRole,
} from './roles.js';
export {
  createElevatedTokens,
  type ElevatedTokens,
  type ElevatedTokensDeps,
  type IssuedElevatedToken,
} from './tokens.js';
