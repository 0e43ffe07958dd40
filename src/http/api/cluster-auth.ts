import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The `cluster` principal of /api/v1/clusters/{name}/…: a cluster's sync agent presents
 * `Authorization: Bearer <clusters[].syncSecret>`. Secrets are compared in constant time (as
 * SHA-256 digests, so the length leaks nothing either), against every cluster's, so that a
 * valid secret of another cluster is told apart (403) from no valid secret at all (401).
 */
export type ClusterAuth =
  | { readonly ok: true; readonly principal: { readonly kind: 'cluster'; readonly name: string } }
  | {
      readonly ok: false;
      readonly status: 401 | 403;
      readonly slug: string;
      readonly detail: string;
    };

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** The bearer token of an Authorization header, or undefined when there is none or it is malformed. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^Bearer ([\x21-\x7e]{1,2048})$/i.exec(header.trim());
  return m?.[1];
}

export function authenticateCluster(
  clusters: readonly { readonly name: string; readonly syncSecret?: string | undefined }[],
  name: string,
  authorization: string | undefined,
): ClusterAuth {
  const token = bearerToken(authorization);
  if (token === undefined)
    return {
      ok: false,
      status: 401,
      slug: 'unauthenticated',
      detail: "send the cluster's sync secret as Authorization: Bearer <secret>",
    };
  const presented = digest(token);
  let matched: string | undefined;
  // Every comparison runs, whichever matches: the time does not say which cluster it was.
  for (const c of clusters)
    if (c.syncSecret !== undefined && timingSafeEqual(presented, digest(c.syncSecret)))
      matched ??= c.name;
  if (matched === name) return { ok: true, principal: { kind: 'cluster', name } };
  if (matched !== undefined)
    return {
      ok: false,
      status: 403,
      slug: 'forbidden',
      detail: "this credential is another cluster's: it can read only that cluster's configuration",
    };
  return { ok: false, status: 401, slug: 'unauthenticated', detail: 'the credential is not valid' };
}
