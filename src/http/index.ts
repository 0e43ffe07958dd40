export {
  createApp,
  createFastPath,
  createTelemetryApp,
  jwksCacheControl,
  type HttpDeps,
} from './app/index.js';
export type { ReadinessCheck } from './app/index.js';
export { createApi, type ApiDeps } from './api/index.js';
export {
  createCsrf,
  createMfaTickets,
  providerPages,
  LOGIN_FAILED,
  MFA_FAILED,
  type Csrf,
} from './interaction/index.js';
export { mfaScripts } from './app/index.js';
export { createWebPages, webClient, type WebPages, type WebPagesDeps } from './portal/index.js';
export {
  loadViews,
  loadBrand,
  type Views,
  type Brand,
  type Asset,
  type BrandAssets,
  type FrontendConfig,
} from './shared/index.js';
export {
  CLUSTER_CONFIG_API_VERSION,
  CLUSTER_CONFIG_KIND,
  type ClusterApiDeps,
  type ClusterAuthenticationConfig,
  type WireEntry,
} from './api/index.js';
