export {
  SyncAgent,
  configUrl,
  issuerOfFile,
  renderSyncMetrics,
  currentContent,
  type SyncAgentOptions,
  type SyncLog,
  type SyncStatus,
} from './agent.js';
export { fetchConfig, type FetchOptions, type FetchResult } from './fetch.js';
export { validateFetched, InvalidConfig, type FetchedConfig } from './validate.js';
export { checkWritableDir, writeIfChanged } from './write.js';
