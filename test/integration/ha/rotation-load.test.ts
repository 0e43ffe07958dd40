import { decodeProtectedHeader } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../../support/postgres.js';
import { refreshGrant, type Tokens } from '../../support/oidc-flow.js';
import { login, startCluster, type Cluster } from './cluster.js';
import { buildGoVerifier } from '../../support/go-verifier.js';
import { startGoVerifier, startJoseVerifier, type LineVerifier } from './verifiers.js';

/**
 * Keys rotate several times (rotation period 4 s, lead time 2 s) while two replicas issue
 * tokens under load. Every token is verified at once by verifiers that cache the JWKS: jose
 * with the cache lifetime the server advertises and no refetch on an unknown kid (twice: its
 * remote key set, and a strict cache of our own), and go-oidc as kube-apiserver uses it.
 * Zero verification failures, and every replica signs with the newest active key within 10 s.
 */
const WORKERS = 3;
const MIN_ROTATIONS = 3;
const MAX_RUN_MS = 75_000;

interface Issued {
  readonly at: number;
  readonly backend: string;
  readonly kid: string;
}

describe('rotation under load, two replicas, caching verifiers', () => {
  let c: Cluster;
  let dbUrl: string;
  let jose: LineVerifier;
  let go: LineVerifier;
  const cleanup: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    const db = await createTestDatabase(inject('pgUrl'), 'sigil_ha_rot');
    dbUrl = db.url;
    cleanup.push(db.drop);
    const goBuilt = buildGoVerifier(); // in parallel with the cluster's start
    c = await startCluster({
      dbUrl,
      config: { keys: { rotationPeriod: '4s', leadTime: '2s' } },
    });
    cleanup.push(() => c.close());
    jose = await startJoseVerifier(c.issuer, c.caFile, 'kubectl');
    cleanup.push(() => jose.close());
    await goBuilt;
    go = await startGoVerifier(c.issuer, c.caFile, 'kubectl');
    cleanup.push(() => go.close());
  }, 240_000);
  afterAll(async () => {
    for (const f of cleanup.reverse()) await f();
  });

  it('verifies every token issued across several rotations, with zero failures', async () => {
    // The verifiers cache the JWKS exactly as long as sigil allows: no longer than the lead time.
    expect(JSON.parse(jose.banner)).toMatchObject({
      ready: true,
      cacheControl: 'public, max-age=2',
    });
    const issued: Issued[] = [];
    const failures: string[] = [];
    const httpErrors: string[] = [];
    const kids = new Set<string>();
    const started = Date.now();
    const done = () =>
      Date.now() - started > MAX_RUN_MS || (kids.size >= MIN_ROTATIONS + 1 && issued.length > 50);

    const worker = async () => {
      const client = c.client();
      let t: Tokens = await login(c, client);
      while (!done()) {
        const r = await refreshGrant(client, t.refresh_token!);
        if (r.status !== 200) {
          httpErrors.push(`${r.status} ${r.text.slice(0, 200)}`);
          continue;
        }
        t = r.json<Tokens>();
        const kid = decodeProtectedHeader(t.id_token).kid!;
        kids.add(kid);
        issued.push({ at: Date.now(), backend: String(r.headers['x-sigil-backend']), kid });
        const [j, g] = await Promise.all([jose.verify(t.id_token), go.verify(t.id_token)]);
        const jr = JSON.parse(j) as { remote: string; strict: string };
        if (jr.remote !== 'ok') failures.push(`jose remote (${kid}): ${jr.remote}`);
        if (jr.strict !== 'ok') failures.push(`jose strict cache (${kid}): ${jr.strict}`);
        if (g !== `ok ${kid}`) failures.push(`go-oidc (${kid}): ${g}`);
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, worker));

    console.log(
      `rotation under load: ${issued.length} tokens from ${WORKERS} workers over ${Math.round((Date.now() - started) / 1000)} s, ${kids.size} signing keys, ${failures.length} verification failures`,
    );
    expect(httpErrors).toEqual([]);
    expect(failures).toEqual([]);
    expect(kids.size, 'at least three rotations happened under load').toBeGreaterThanOrEqual(
      MIN_ROTATIONS + 1,
    );
    expect(new Set(issued.map((i) => i.backend))).toEqual(new Set(['0', '1']));

    // Compare what each replica signed with the rotation history in the database.
    const client = new pg.Client({ connectionString: dbUrl });
    await client.connect();
    const { rows } = await client
      .query<{ kid: string; created_at: Date; activated_at: Date | null }>(
        `SELECT kid, created_at, activated_at FROM signing_keys WHERE activated_at IS NOT NULL ORDER BY activated_at`,
      )
      .finally(() => client.end());
    const activation = new Map(rows.map((r) => [r.kid, +r.activated_at!]));
    // Every key but the very first was published for the lead time before it signed.
    for (const r of rows.slice(1))
      expect(+r.activated_at! - +r.created_at).toBeGreaterThanOrEqual(2000);
    for (const i of issued) {
      const own = activation.get(i.kid);
      expect(own, `${i.kid} was activated`).toBeDefined();
      expect(own!).toBeLessThanOrEqual(i.at);
      // No newer key had been active for more than 10 s when this token was issued.
      const newer = rows.filter((r) => +r.activated_at! > own! && +r.activated_at! < i.at - 10_000);
      expect(
        newer.map((r) => r.kid),
        `replica ${i.backend} signed with a stale key`,
      ).toEqual([]);
    }
  }, 180_000);
});
