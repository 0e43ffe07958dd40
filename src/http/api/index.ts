export { createApi, apiBase, API_PREFIX } from './api.js';
export type { ApiDeps } from './context.js';
export {
  actorOf,
  requireAdmin,
  requireCluster,
  requirePerson,
  type Actor,
  type ApiContext,
  type ApiMiddleware,
  type ApiState,
  type Principal,
} from './auth.js';
export { Problem, problemDocument, PROBLEMS, type ProblemSlug } from './problem.js';
export {
  openApiDocument,
  API_PARTS,
  renderApiReference,
  EXAMPLE_API_SERVER,
} from './openapi/index.js';
