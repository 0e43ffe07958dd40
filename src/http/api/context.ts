import type { Router } from '@koa/router';
import type { KeyEventListener, KeyPolicy, KeySealer } from '../../keys/index.js';
import type { Audit, Elevations, SessionService } from '../../security/index.js';
import type { Db } from '../../storage/index.js';
import type { ApiState, AuthDeps } from './auth.js';
import type { ClusterApiDeps } from './cluster-deps.js';

/** What the API's resources use; each resource file takes what it needs from here. */
export interface ApiDeps extends AuthDeps {
  /** The issuer: the API answers at `<issuer>/api/v1`. */
  readonly issuer: string;
  readonly db: Db;
  readonly audit: Audit;
  readonly maxBodyBytes: number;
  /** Sessions: listed and ended through SessionService.endSessions only. */
  readonly sessions: SessionService;
  /** Signing keys, as `sigil keys` handles them. */
  readonly keys: {
    readonly policy: KeyPolicy;
    readonly sealer: KeySealer;
    readonly onEvent: KeyEventListener;
  };
  /** Just-in-time elevation (issue 16); none: the /elevations routes are absent. */
  readonly elevations?: Elevations;
  /** GET /clusters/{name}/authentication-config (issue 15); none: the route is absent. */
  readonly clusters?: ClusterApiDeps;
}

export type ApiRouter = Router<ApiState>;
