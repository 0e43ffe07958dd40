import type { ClusterConfig } from '../../config/index.js';
import type { DenyEntryInput } from '../../kube/index.js';
import type { Audit } from '../../security/index.js';

/** What GET /clusters/{name}/authentication-config (clusters.ts) builds its answer from. */
export interface ClusterApiDeps {
  readonly issuer: string;
  readonly clusters: readonly ClusterConfig[];
  /** PEM of the CA of sigil's serving certificate, read when asked (it may be reloaded). */
  readonly caPem: () => string | undefined;
  /** The live deny entries (login_revocations). */
  readonly denyEntries: () => Promise<readonly DenyEntryInput[]>;
  readonly audit?: Audit;
  readonly now?: () => Date;
}
