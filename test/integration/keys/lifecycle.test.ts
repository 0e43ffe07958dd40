import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { isAppError } from '../../../src/errors.js';
import {
  createSealer,
  ensureKeys,
  keySetVersion,
  listKeys,
  loadKeySet,
  maintainKeys,
  PLAINTEXT_SEALER,
  reencryptKeys,
  revokeKey,
  type KeyEvent,
  type KeyPolicy,
} from '../../../src/keys/index.js';
import {
  createPgDb,
  endGrantsLastRefreshedBefore,
  listLiveRevocations,
  migrate,
  type Db,
} from '../../../src/storage/index.js';
import { pollUntil } from '../../support/poll.js';
import { createTestDatabase } from '../../support/postgres.js';

/**
 * The key lifecycle against a real PostgreSQL, with several Db instances standing in for
 * replicas: one key set however many start at once, rotation only when both the period and
 * the lead time have passed and exactly once across replicas, removal, revocation and
 * encryption at rest.
 */
const open = (url: string): Db =>
  createPgDb({ url, maxConnections: 4, connectionTimeoutMs: 5000, statementTimeoutMs: 10_000 });

const POLICY: KeyPolicy = {
  alg: 'ES256', // fast to generate; RS256 is covered by the end-to-end tests
  rotationPeriodMs: 600,
  leadTimeMs: 400,
  pollMs: 100,
  propagationMs: 300,
  retainMs: 1500,
  jwksMaxAgeSec: 0,
};

interface Replicas {
  url: string;
  /** Four Db instances on one database, standing in for four replicas. */
  dbs: Db[];
}

/**
 * A fresh migrated database with four replicas for the describe this is called in (opened
 * before its tests, closed and dropped after them); `then` runs once it is set up.
 */
function replicasOnFreshDatabase(then?: (r: Replicas) => Promise<unknown>): () => Replicas {
  let env: (Replicas & { drop: () => Promise<void> }) | undefined;
  beforeAll(async () => {
    const { url, drop } = await createTestDatabase(inject('pgUrl'), 'sigil_keys');
    const dbs = [open(url), open(url), open(url), open(url)];
    env = { url, dbs, drop };
    await migrate(dbs[0]!);
    await then?.(env);
  });
  afterAll(async () => {
    if (env === undefined) return;
    for (const d of env.dbs) await d.close();
    await env.drop();
  });
  return () => {
    if (env === undefined) throw new Error('the replicas are set up in beforeAll');
    return env;
  };
}

describe('signing key lifecycle (PostgreSQL, four replicas)', () => {
  const env = replicasOnFreshDatabase();

  it('replicas starting together create one active and one published next key', async () => {
    const results = await Promise.all(
      env().dbs.map((d) => ensureKeys(d, POLICY.alg, PLAINTEXT_SEALER)),
    );
    expect(results.flatMap((r) => r.created)).toHaveLength(2);
    const keys = await listKeys(env().dbs[0]!);
    expect(keys.map((k) => k.state).sort()).toEqual(['active', 'next']);
    const set = await loadKeySet(env().dbs[1]!, PLAINTEXT_SEALER);
    expect(set.published.map((k) => k.state)).toEqual(['active', 'next']); // active first: it signs
    expect(set.version).toBe(await keySetVersion(env().dbs[2]!));
  });

  it('rotates exactly once across replicas, only after the period AND the lead time, and removes retired keys later', async () => {
    const db = env().dbs[0]!;
    const events: KeyEvent[] = [];
    const seenActive = new Map<string, { createdAt: Date; activatedAt: Date }>();
    let rotations = 0;
    // Every replica runs a pass, again and again, until four rotations and a removal happened.
    const pass = async () => {
      const results = await Promise.all(
        env().dbs.map((d) =>
          maintainKeys(d, PLAINTEXT_SEALER, POLICY, { onEvent: (e) => events.push(e) }),
        ),
      );
      const activated = results.filter((r) => r.activated !== undefined);
      expect(activated.length).toBeLessThanOrEqual(1);
      rotations += activated.length;
      const keys = await listKeys(db);
      expect(keys.filter((k) => k.state === 'active')).toHaveLength(1);
      expect(keys.filter((k) => k.state === 'next')).toHaveLength(1);
      for (const k of keys)
        if (k.state === 'active' && k.activatedAt !== null)
          seenActive.set(k.kid, { createdAt: k.createdAt, activatedAt: k.activatedAt });
      return { rotations, removed: events.some((e) => e.type === 'key.removed') };
    };
    await pollUntil(pass, (p) => p.rotations >= 4 && p.removed, {
      what: 'four rotations and the removal of a retired key',
      timeoutMs: 20_000,
    });
    expect(rotations).toBeGreaterThanOrEqual(4);
    // The first key signed at once; every later one was published for the lead time
    // (plus propagation) before it signed, and signed for the full period before the next.
    const actives = [...seenActive.values()].sort((a, b) => +a.activatedAt - +b.activatedAt);
    for (const [i, k] of actives.entries()) {
      if (i === 0) continue;
      expect(+k.activatedAt - +k.createdAt).toBeGreaterThanOrEqual(
        POLICY.leadTimeMs + POLICY.propagationMs - 5,
      );
      expect(+k.activatedAt - +actives[i - 1]!.activatedAt).toBeGreaterThanOrEqual(
        POLICY.rotationPeriodMs - 5,
      );
    }
    const types = events.map((e) => e.type);
    expect(types.filter((t) => t === 'key.activated')).toHaveLength(rotations);
    expect(types.filter((t) => t === 'key.retired')).toHaveLength(rotations);
    expect(types).toContain('key.removed'); // retainMs 1.5 s after the first retirement
    const keys = await listKeys(db);
    for (const k of keys.filter((x) => x.state === 'retired'))
      expect(+k.removeAfter! - +k.retiredAt!).toBe(POLICY.retainMs);
    expect(keys.length).toBeLessThan(2 + rotations); // removed keys are gone
  });

  it('rotate --now promotes the published next key at once; an idle pass changes nothing', async () => {
    const db = env().dbs[1]!;
    const before = await loadKeySet(db, PLAINTEXT_SEALER);
    const next = before.published.find((k) => k.state === 'next')!;
    const idle = await maintainKeys(db, PLAINTEXT_SEALER, {
      ...POLICY,
      rotationPeriodMs: 3_600_000,
    });
    expect(idle.activated).toBeUndefined();
    expect(idle.dueInMs).toBeGreaterThan(3_000_000);
    const forced = await maintainKeys(
      db,
      PLAINTEXT_SEALER,
      { ...POLICY, rotationPeriodMs: 3_600_000 },
      { force: true, wait: true },
    );
    expect(forced.activated).toBe(next.kid);
    expect(forced.retired).toBe(before.active.kid);
    expect((await loadKeySet(db, PLAINTEXT_SEALER)).active.kid).toBe(next.kid);
  });
});

describe('revocation ends the grants whose tokens the key may have signed', () => {
  const env = replicasOnFreshDatabase((r) => ensureKeys(r.dbs[0]!, POLICY.alg, PLAINTEXT_SEALER));

  const put = (
    db: Db,
    kind: string,
    id: string,
    payload: object,
    grantId: string | null,
    consumed = false,
  ) =>
    db.query(
      `INSERT INTO oidc_payload (kind, id, payload, grant_id, expires_at, consumed_at)
       VALUES ($1, $2, $3::jsonb, $4, now() + interval '1 hour', CASE WHEN $5::boolean THEN now() END)`,
      [kind, id, JSON.stringify(payload), grantId, consumed],
    );
  const count = async (db: Db, where: string) =>
    (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM oidc_payload WHERE ${where}`))
      .rows[0]!.n;

  it('revoking the active key: it leaves the JWKS, next signs, refresh grants issued before end with their sessions', async () => {
    const db = env().dbs[0]!;
    const now = Math.floor(Date.now() / 1000);
    // Grant g-old: refreshed long ago (its live token predates the cutoff).
    await put(db, 'Grant', 'g-old', { accountId: 'alice' }, null);
    await put(
      db,
      'RefreshToken',
      'rt-old',
      { iat: now - 600, accountId: 'alice', grantId: 'g-old' },
      'g-old',
    );
    await put(
      db,
      'AccessToken',
      'at-old',
      { iat: now - 600, accountId: 'alice', grantId: 'g-old' },
      'g-old',
    );
    await put(db, 'Session', 's-alice', { accountId: 'alice' }, null);
    // Grant g-bob: a consumed old token and a live one issued "after the cutoff".
    await put(db, 'Grant', 'g-bob', { accountId: 'bob' }, null);
    await put(
      db,
      'RefreshToken',
      'rt-bob-1',
      { iat: now - 600, accountId: 'bob', grantId: 'g-bob' },
      'g-bob',
      true,
    );
    await put(
      db,
      'RefreshToken',
      'rt-bob-2',
      { iat: now + 3600, accountId: 'bob', grantId: 'g-bob' },
      'g-bob',
    );
    await put(db, 'Session', 's-bob', { accountId: 'bob' }, null);

    const before = await loadKeySet(db, PLAINTEXT_SEALER);
    const next = before.published.find((k) => k.state === 'next')!;
    const events: KeyEvent[] = [];
    const r = await revokeKey(db, PLAINTEXT_SEALER, POLICY, before.active.kid, {
      onEvent: (e) => events.push(e),
    });
    expect(r.previousState).toBe('active');
    expect(r.activated).toBe(next.kid);
    expect(r.grantsRevoked).toBe(1);
    expect(r.sessionsEnded).toBe(1);
    expect(events.map((e) => e.type)).toEqual(['key.revoked', 'key.activated', 'key.created']);
    // The clusters refuse what it signed: a window deny entry, from its activation to the cutoff.
    expect(r.window?.until).toEqual(r.cutoff);
    const live = await listLiveRevocations(db, new Date());
    expect(live).toHaveLength(1);
    expect(live[0]).toMatchObject({
      kind: 'window',
      kid: before.active.kid,
      reason: 'key_revoked',
      iatFrom: r.window?.from,
      iatUntil: r.cutoff,
      keepUntil: new Date(r.cutoff!.getTime() + POLICY.retainMs),
    });

    const after = await loadKeySet(db, PLAINTEXT_SEALER);
    expect(after.active.kid).toBe(next.kid);
    expect(after.published.map((k) => k.kid)).not.toContain(before.active.kid);
    expect(after.published.filter((k) => k.state === 'next')).toHaveLength(1);
    const row = await db.query<{ private_jwk: string }>(
      `SELECT private_jwk FROM signing_keys WHERE kid = $1`,
      [before.active.kid],
    );
    expect(row.rows[0]!.private_jwk).toBe(''); // wiped

    expect(await count(db, `grant_id = 'g-old' OR id IN ('g-old', 's-alice')`)).toBe(0);
    expect(await count(db, `grant_id = 'g-bob' OR id IN ('g-bob', 's-bob')`)).toBe(4);

    // Idempotent: again, and the second sweep finds nothing more.
    expect((await revokeKey(db, PLAINTEXT_SEALER, POLICY, before.active.kid)).previousState).toBe(
      'revoked',
    );
    expect(await endGrantsLastRefreshedBefore(db, r.cutoff!)).toEqual({ grants: 0, sessions: 0 });
  });

  it('revoking a next key ends nothing (it never signed); an unknown kid is KEY_NOT_FOUND', async () => {
    const db = env().dbs[1]!;
    const set = await loadKeySet(db, PLAINTEXT_SEALER);
    const next = set.published.find((k) => k.state === 'next')!;
    const before = (await listLiveRevocations(db, new Date())).length;
    const r = await revokeKey(db, PLAINTEXT_SEALER, POLICY, next.kid);
    expect(r.cutoff).toBeUndefined();
    expect(r.window).toBeUndefined();
    expect(await listLiveRevocations(db, new Date())).toHaveLength(before);
    expect(r.created).toHaveLength(1);
    expect((await loadKeySet(db, PLAINTEXT_SEALER)).active.kid).toBe(set.active.kid);
    await expect(revokeKey(db, PLAINTEXT_SEALER, POLICY, 'no-such-kid')).rejects.toSatisfy((e) =>
      isAppError(e, 'KEY_NOT_FOUND'),
    );
  });
});

describe('private keys encrypted at rest', () => {
  const env = replicasOnFreshDatabase();

  it('seals new keys, loads them back, re-encrypts under a new secret, and refuses the wrong one', async () => {
    const db = env().dbs[0]!;
    const oldSealer = createSealer('the old key-encryption secret');
    const newSealer = createSealer('the new key-encryption secret');
    await ensureKeys(db, 'RS256', oldSealer);
    const raw = await db.query<{ private_jwk: string; encrypted: boolean }>(
      'SELECT private_jwk, encrypted FROM signing_keys',
    );
    for (const r of raw.rows) {
      expect(r.encrypted).toBe(true);
      expect(r.private_jwk).toMatch(/^sigil-aes256gcm-v1\./);
      expect(r.private_jwk).not.toContain('"d"');
    }
    const loaded = await loadKeySet(db, oldSealer);
    expect(loaded.active.privateJwk.d).toBeTypeOf('string');

    await expect(loadKeySet(db, newSealer)).rejects.toSatisfy((e) =>
      isAppError(e, 'KEYS_UNAVAILABLE'),
    );
    await expect(loadKeySet(db, PLAINTEXT_SEALER)).rejects.toSatisfy((e) =>
      isAppError(e, 'KEYS_UNAVAILABLE'),
    );
    // A wrong old secret changes nothing (one transaction).
    await expect(
      reencryptKeys(db, newSealer, createSealer('not the old secret at all')),
    ).rejects.toSatisfy((e) => isAppError(e, 'KEYS_UNAVAILABLE'));
    expect((await loadKeySet(db, oldSealer)).active.kid).toBe(loaded.active.kid);

    const r = await reencryptKeys(db, newSealer, oldSealer);
    expect(r.reencrypted).toHaveLength(2);
    const again = await loadKeySet(db, newSealer);
    expect(again.active.privateJwk).toEqual(loaded.active.privateJwk);
    await expect(loadKeySet(db, oldSealer)).rejects.toSatisfy((e) =>
      isAppError(e, 'KEYS_UNAVAILABLE'),
    );

    // Plaintext keys (sigil ran without a secret before) are sealed without an old secret.
    await reencryptKeys(db, PLAINTEXT_SEALER, newSealer);
    expect((await listKeys(db)).every((k) => !k.encrypted)).toBe(true);
    const sealed = await reencryptKeys(db, newSealer, undefined);
    expect(sealed.wasPlaintext).toHaveLength(2);
    expect((await listKeys(db)).every((k) => k.encrypted)).toBe(true);
  });
});
