export { interactionRoutes, LOGIN_FAILED, type InteractionDeps } from './routes.js';
export { createCsrf, type Csrf } from './csrf.js';
export { providerPages } from './provider-pages.js';
