export { interactionRoutes } from './routes.js';
export type { InteractionDeps, InteractionMfa } from './context.js';
export { createMfaTickets, type MfaTickets } from './mfa-ticket.js';
export { MFA_FAILED, qrDataUri, jsonBlock } from './mfa.js';
export { LOGIN_FAILED } from './login.js';
export { createCsrf, type Csrf } from './csrf.js';
export { providerPages } from './provider-pages.js';
