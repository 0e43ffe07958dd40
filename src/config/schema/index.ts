/** The sections of the configuration schema; ../schema.ts assembles them into one. */
export { duplicates } from './common.js';
export { admin, adminIssues, ADMIN_SCOPE } from './admin.js';
export { sessions } from './sessions.js';
export { oauth2, staticClient, AUDIENCE_SCOPE_PREFIX, audienceScope } from './clients.js';
export {
  clusterIssues,
  clusterSchema,
  loginClientOf,
  WEB_CLIENT_ID,
  type ClusterConfig,
} from './clusters.js';
export { connector, LOCAL_CONNECTOR_ID } from './connectors.js';
export { expiry } from './expiry.js';
export { frontend } from './frontend.js';
export { keys, DEFAULT_ROTATION_PERIOD_MS } from './keys.js';
export {
  ldapConfigSchema,
  userMatcherSchema,
  type LdapConfig,
  type LdapConfigInput,
  type OutagePolicy,
} from './ldap.js';
export { parseAdminFilter } from './ldap-filter.js';
export { access, audit, throttle } from './security.js';
export { mfa, ACR_MFA, ACR_PWD, type MfaConfig } from './mfa.js';
export {
  staticPassword,
  normalizeHash,
  validateHash,
  validateStaticUsers,
  type StaticPasswordConfig,
  type StaticUserProblem,
} from './static-users.js';
export {
  storage,
  postgresConfig,
  DEFAULT_DATA_DIR,
  type PostgresStorageConfig,
} from './storage.js';
export { logger, telemetry, LOG_LEVELS, type LogLevel } from './telemetry.js';
export { web } from './web.js';
export {
  elevation,
  elevationIssues,
  type ElevationConfig,
  type ElevationRoleConfig,
} from './elevation.js';
