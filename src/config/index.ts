export {
  configSchema,
  configAsInput,
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
export {
  LOG_LEVELS,
  DEFAULT_ROTATION_PERIOD_MS,
  LOCAL_CONNECTOR_ID,
  ldapConfigSchema,
  userMatcherSchema,
  parseAdminFilter,
  normalizeHash,
  validateHash,
  validateStaticUsers,
  WEB_CLIENT_ID,
  loginClientOf,
  clusterSchema,
  AUDIENCE_SCOPE_PREFIX,
  audienceScope,
  ADMIN_SCOPE,
  type LogLevel,
  type LdapConfig,
  type LdapConfigInput,
  type StaticUserProblem,
} from './schema/index.js';
