export { AccountService, scopesFrom, identityClaims, type AuthenticateResult } from './accounts.js';
export { buildConfiguration, SCOPE_CLAIMS, type ProviderDeps } from './configuration.js';
export { createProvider, Provider, errors, type ProviderOptions } from './provider.js';
export { type ClientPolicy, LOOPBACK_REDIRECTS } from './clients.js';
export type { ProviderPages } from './pages.js';
