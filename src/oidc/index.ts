export { AccountService, scopesFrom, identityClaims, type AuthenticateResult } from './accounts.js';
export { buildConfiguration, SCOPE_CLAIMS, type ProviderDeps } from './configuration.js';
export { createProvider, Provider, errors, type ProviderOptions } from './provider.js';
export { type ClientPolicy, LOOPBACK_REDIRECTS } from './clients.js';
export type { ProviderPages } from './pages.js';
export { buildProvider, type BuildProviderDeps } from './build.js';
export { DEVICE_GRANT, DEVICE_POLL_INTERVAL } from './device.js';
export { PASSWORD_GRANT } from './password-grant.js';
