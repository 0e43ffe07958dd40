import type { Router } from '@koa/router';
import type { Audit } from '../../security/index.js';
import type { ApiState, AuthDeps } from './auth.js';
import type { ClusterApiDeps } from './cluster-deps.js';

/** What the API's resources use; each resource file takes what it needs from here. */
export interface ApiDeps extends AuthDeps {
  /** The issuer: the API answers at `<issuer>/api/v1`. */
  readonly issuer: string;
  readonly audit: Audit;
  readonly maxBodyBytes: number;
  /** GET /clusters/{name}/authentication-config (issue 15); none: the route is absent. */
  readonly clusters?: ClusterApiDeps;
}

export type ApiRouter = Router<ApiState>;
