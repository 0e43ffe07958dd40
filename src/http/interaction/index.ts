export { interactionRoutes } from './routes.js';
export type { InteractionDeps } from './context.js';
export { LOGIN_FAILED } from './login.js';
export { createCsrf, type Csrf } from './csrf.js';
export { providerPages } from './provider-pages.js';
