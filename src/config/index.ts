export {
  configSchema,
  type Config,
  type ConfigInput,
  type StaticClientConfig,
  type StaticPasswordConfig,
  type ConnectorConfig,
} from './schema.js';
export {
  loadConfig,
  parseConfig,
  ConfigError,
  deepFreeze,
  FILE_SECRET_KEYS,
  type ConfigProblem,
} from './load.js';
export { resolveStorage, ms, DEFAULT_DATA_DIR, type ResolvedStorage } from './resolve.js';
export { parseDuration, formatDuration } from './duration.js';
export { renderConfigReference } from './docs.js';
export {
  devConfig,
  devPasswordFile,
  DEV_ISSUER,
  DEV_PORT,
  DEV_CLIENT_ID,
  DEV_USERNAME,
} from './dev.js';
export { loginClientOf, WEB_CLIENT_ID, type ClusterConfig } from './clusters.js';
