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
export {
  CLUSTER_CONFIG_API_VERSION,
  CLUSTER_CONFIG_KIND,
  type ClusterApiDeps,
  type ClusterAuthenticationConfig,
  type WireEntry,
} from './clusters.js';
