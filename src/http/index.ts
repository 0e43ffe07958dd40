export { createApp, type HttpDeps } from './app.js';
export { createCsrf, type Csrf } from './csrf.js';
export { providerPages } from './pages.js';
export { createWebPages, webClient, type WebPages, type WebPagesDeps } from './web-pages.js';
export { loadViews, type Views, type Brand } from './views.js';
export type { ReadinessCheck } from './health.js';
export { loadBrand, type Asset, type BrandAssets, type FrontendConfig } from './brand.js';
export { createTelemetryApp } from './telemetry.js';
export { LOGIN_FAILED } from './interactions.js';
