import type { Queryable } from '../storage/index.js';
import { PUBLISHED } from './keystore.js';

/** A signing key as `sigil keys list` shows it: metadata only, never the private key. */
export interface KeyInfo {
  readonly kid: string;
  readonly alg: string;
  readonly state: string;
  readonly encrypted: boolean;
  /** No private half (an imported Dex verification key). */
  readonly publicOnly: boolean;
  /** Where it came from: `dex` for imported keys, undefined for sigil's own. */
  readonly origin: string | undefined;
  /** Served in the JWKS right now. */
  readonly published: boolean;
  readonly createdAt: Date;
  readonly activatedAt: Date | null;
  readonly retiredAt: Date | null;
  readonly removeAfter: Date | null;
}

const STATE_ORDER = `CASE state WHEN 'active' THEN 0 WHEN 'next' THEN 1 WHEN 'retired' THEN 2 ELSE 3 END`;

export async function listKeys(q: Queryable): Promise<KeyInfo[]> {
  const { rows } = await q.query<{
    kid: string;
    alg: string;
    state: string;
    encrypted: boolean;
    public_only: boolean;
    origin: string | null;
    published: boolean;
    created_at: Date;
    activated_at: Date | null;
    retired_at: Date | null;
    remove_after: Date | null;
  }>(
    `SELECT kid, alg, state, encrypted, public_only, origin, ${PUBLISHED} AS published,
            created_at, activated_at, retired_at, remove_after
       FROM signing_keys ORDER BY ${STATE_ORDER}, created_at DESC`,
  );
  const date = (d: Date | null) => (d === null ? null : new Date(d));
  return rows.map((r) => ({
    kid: r.kid,
    alg: r.alg,
    state: r.state,
    encrypted: r.encrypted,
    publicOnly: r.public_only,
    origin: r.origin ?? undefined,
    published: r.published,
    createdAt: new Date(r.created_at),
    activatedAt: date(r.activated_at),
    retiredAt: date(r.retired_at),
    removeAfter: date(r.remove_after),
  }));
}

/** The table `sigil keys list` prints. */
export function formatKeyTable(keys: readonly KeyInfo[]): string {
  const iso = (d: Date | null) => (d === null ? '-' : d.toISOString().replace(/\.\d{3}Z$/, 'Z'));
  const header = [
    'KID',
    'ALG',
    'STATE',
    'JWKS',
    'AT REST',
    'CREATED',
    'ACTIVATED',
    'RETIRED',
    'REMOVE AFTER',
  ];
  const lines = keys.map((k) => [
    k.origin === undefined ? k.kid : `${k.kid} (${k.origin})`,
    k.alg,
    k.state,
    k.published ? 'yes' : 'no',
    k.state === 'revoked'
      ? 'wiped'
      : k.publicOnly
        ? 'public only'
        : k.encrypted
          ? 'encrypted'
          : 'plaintext',
    iso(k.createdAt),
    iso(k.activatedAt),
    iso(k.retiredAt),
    iso(k.removeAfter),
  ]);
  const all = [header, ...lines];
  const widths = header.map((_, i) => Math.max(...all.map((l) => (l[i] ?? '').length)));
  return all
    .map((l) =>
      l
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
