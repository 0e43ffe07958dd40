export { createApp, type HttpDeps } from './app.js';
export type { ReadinessCheck } from './health.js';
export { createTelemetryApp } from './telemetry.js';
export { jwksCacheControl } from './jwks-cache.js';
export { mfaScripts } from './mfa-scripts.js';
export { createFastPath, type FastPath, type FastPathDeps } from './fast-path.js';
