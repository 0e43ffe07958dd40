export {
  configSchema,
  type Config,
  type ConfigInput,
  type StaticClientConfig,
  type StaticPasswordConfig,
  type ConnectorConfig,
  type LdapConnectorConfig,
  type ClusterConfig,
  type KeysConfig,
} from './schema.js';
export {
  loadConfig,
  parseConfig,
  ConfigError,
  deepFreeze,
  FILE_SECRET_KEYS,
  type ConfigProblem,
} from './load.js';
export {
  resolveStorage,
  pgOptionsFromConfig,
  DEFAULT_DATA_DIR,
  type ResolvedStorage,
  type PostgresOptions,
  type PostgresStorageConfig,
} from './storage.js';
export { renderConfigReference } from './docs.js';
export {
  devConfig,
  devPasswordFile,
  DEV_ISSUER,
  DEV_PORT,
  DEV_CLIENT_ID,
  DEV_USERNAME,
} from './dev.js';
export { LOG_LEVELS, type LogLevel } from './schema/telemetry.js';
export { DEFAULT_ROTATION_PERIOD_MS } from './schema/keys.js';
export { LOCAL_CONNECTOR_ID } from './schema/connectors.js';
export {
  ldapConfigSchema,
  userMatcherSchema,
  type LdapConfig,
  type LdapConfigInput,
} from './schema/ldap.js';
export { parseAdminFilter } from './schema/ldap-filter.js';
export {
  normalizeHash,
  validateHash,
  validateStaticUsers,
  type StaticUserProblem,
} from './schema/static-users.js';
export { WEB_CLIENT_ID, loginClientOf, clusterSchema } from './schema/clusters.js';
export { AUDIENCE_SCOPE_PREFIX, audienceScope } from './schema/clients.js';
