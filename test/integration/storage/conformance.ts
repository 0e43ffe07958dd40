import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isAppError } from '../../../src/errors.js';
import { createAdapterClass } from '../../../src/oidc/index.js';
import { pollUntil } from '../../support/poll.js';
import {
  garbageCollect,
  hashId,
  HASHED_MODELS,
  LOCKS,
  listMigrations,
  migrate,
  migrationsDir,
  startGcTimer,
  findIdentity,
  markIdentityChecked,
  markIdentityRefused,
  RequestMemo,
  saveIdentity,
  type Db,
} from '../../../src/storage/index.js';

/**
 * The storage conformance suite (Dex's storage/conformance): the same named cases run against
 * every back end, so PGlite in development and PostgreSQL in production behave alike.
 */
export interface ConformanceDb {
  /** A Db on a fresh, empty database. */
  readonly db: Db;
  /** Closes every Db this factory opened and drops the database. */
  readonly cleanup: () => Promise<void>;
  /** Opens a second Db (another pool) on the same database, where the back end allows it. */
  readonly openAnother?: () => Promise<Db>;
}

export const ALL_MODELS = [
  'Session',
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'ClientCredentials',
  'Client',
  'InitialAccessToken',
  'RegistrationAccessToken',
  'Grant',
  'Interaction',
  'ReplayDetection',
  'PushedAuthorizationRequest',
  'BackchannelAuthenticationRequest',
] as const;

const TOKEN_KINDS = [
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
] as const;

const newId = () => randomBytes(32).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

function samplePayload(
  model: string,
  id: string,
  extra: Partial<AdapterPayload> = {},
): AdapterPayload {
  return {
    jti: id,
    kind: model,
    iat: now(),
    exp: now() + 600,
    accountId: 'acct-7',
    clientId: 'kubelogin',
    grantId: `grant-${id.slice(0, 8)}`,
    scope: 'openid groups offline_access',
    claims: { id_token: { groups: null } },
    extra: { nested: ['a', 1, true, null, { deep: 'ü ✓ 日本' }] },
    ...(model === 'Session'
      ? { uid: `uid-${id.slice(0, 10)}`, loginTs: now(), authorizations: {} }
      : {}),
    ...(model === 'DeviceCode'
      ? { userCode: `UC${id.slice(0, 8).toUpperCase()}`, params: { client_id: 'kubelogin' } }
      : {}),
    ...extra,
  };
}

function expectInvalidRequest(err: unknown): void {
  expect(err).toBeInstanceOf(errors.InvalidRequest);
  const e = err as InstanceType<typeof errors.InvalidRequest>;
  expect(e.statusCode).toBe(400);
  expect(e.error).toBe('invalid_request');
  expect(e.expose).toBe(true);
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

/** Every migration in migrations/, as `migrate` reports them (`0001_init`, ...). */
async function allMigrations(): Promise<{
  applied: string[];
  rows: { version: string; name: string }[];
}> {
  const list = await listMigrations(migrationsDir());
  return {
    applied: list.map((m) => `${m.version}_${m.name}`),
    rows: list.map((m) => ({ version: m.version, name: m.name })),
  };
}

export function runAdapterConformance(name: string, makeDb: () => Promise<ConformanceDb>): void {
  describe(`storage conformance: ${name}`, () => {
    let h: ConformanceDb;
    let db: Db;
    let adapterFor: (model: string) => Adapter;

    beforeAll(async () => {
      h = await makeDb();
      db = h.db;
      const first = await migrate(db);
      expect(first.applied).toEqual((await allMigrations()).applied);
      const Adapter = createAdapterClass(db);
      adapterFor = (model) => new Adapter(model);
    });
    afterAll(async () => {
      await h.cleanup();
    });
    beforeEach(async () => {
      await db.query('DELETE FROM oidc_payload');
    });

    const count = async (where = 'true', params: string[] = []) =>
      Number(
        (
          await db.query<{ n: string }>(
            `SELECT count(*)::text AS n FROM oidc_payload WHERE ${where}`,
            params,
          )
        ).rows[0]?.n,
      );

    describe('adapter', () => {
      it.each(ALL_MODELS)('UpsertFind: %s round-trips its payload', async (model) => {
        const a = adapterFor(model);
        const id = newId();
        const payload = samplePayload(model, id);
        await a.upsert(id, payload, 600);
        expect(await a.find(id)).toEqual(payload);
        expect(await adapterFor(model === 'Grant' ? 'Session' : 'Grant').find(id)).toBeUndefined();
        expect(await a.find(newId())).toBeUndefined();
      });

      it('UpsertOverwrites: a second upsert replaces payload, expiry and indexes', async () => {
        const a = adapterFor('Session');
        const id = newId();
        await a.upsert(id, samplePayload('Session', id, { uid: 'old-uid', accountId: 'a' }), 600);
        await a.upsert(id, samplePayload('Session', id, { uid: 'new-uid', accountId: 'b' }), 600);
        expect((await a.find(id))?.accountId).toBe('b');
        expect(await a.findByUid('old-uid')).toBeUndefined();
        expect((await a.findByUid('new-uid'))?.accountId).toBe('b');
        await a.upsert(id, samplePayload('Session', id, { uid: 'new-uid' }), -1);
        expect(await a.find(id)).toBeUndefined();
        expect(await count()).toBe(1);
      });

      it('Expiry: expired rows are hidden from find, findByUid and findByUserCode; no expiry never expires', async () => {
        const session = adapterFor('Session');
        const device = adapterFor('DeviceCode');
        const sid = newId();
        const did = newId();
        const sp = samplePayload('Session', sid);
        const dp = samplePayload('DeviceCode', did);
        await session.upsert(sid, sp, -5);
        await device.upsert(did, dp, -5);
        expect(await session.find(sid)).toBeUndefined();
        expect(await session.findByUid(sp.uid ?? '')).toBeUndefined();
        expect(await device.find(did)).toBeUndefined();
        expect(await device.findByUserCode(dp.userCode ?? '')).toBeUndefined();
        expect(await count()).toBe(2); // hidden, not deleted: GC deletes

        const forever = newId();
        await adapterFor('Client').upsert(forever, samplePayload('Client', forever));
        expect(await adapterFor('Client').find(forever)).toBeDefined();
        const row = await db.query<{ expires_at: Date | null }>(
          'SELECT expires_at FROM oidc_payload WHERE kind = $1',
          ['Client'],
        );
        expect(row.rows[0]?.expires_at).toBeNull();
      });

      it.each(['AuthorizationCode', 'RefreshToken', 'DeviceCode', 'PushedAuthorizationRequest'])(
        'Consume: %s is marked consumed, kept, and reported by find',
        async (model) => {
          const a = adapterFor(model);
          const id = newId();
          await a.upsert(id, samplePayload(model, id), 600);
          expect((await a.find(id))?.consumed).toBeUndefined();
          const before = now();
          await a.consume(id);
          const found = await a.find(id);
          expect(typeof found?.consumed).toBe('number');
          expect(Math.abs(Number(found?.consumed) - before)).toBeLessThanOrEqual(5);
          expect(found?.jti).toBe(id);
          const rows = await db.query<{ consumed_at: Date | null }>(
            'SELECT consumed_at FROM oidc_payload WHERE kind = $1',
            [model],
          );
          expect(rows.rows[0]?.consumed_at).toBeInstanceOf(Date);
          // Saving the consumed model again (oidc-provider does) keeps it consumed.
          if (found !== undefined) await a.upsert(id, found, 600);
          expect((await a.find(id))?.consumed).toBe(found?.consumed);
        },
      );

      it('ReuseGrace: a consumed RefreshToken reads unconsumed in its window, and after it only while its rotation is incomplete', async () => {
        const graced = new (createAdapterClass(db, { reuseGraceMs: { RefreshToken: 60_000 } }))(
          'RefreshToken',
        );
        const [first, other, successor] = [newId(), newId(), newId()];
        await graced.upsert(first, samplePayload('RefreshToken', first, { grantId: 'g-1' }), 600);
        await graced.upsert(other, samplePayload('RefreshToken', other, { grantId: 'g-2' }), 600);
        await graced.consume(first);
        expect((await graced.find(first))?.consumed, 'inside the window').toBeUndefined();
        expect(typeof (await adapterFor('RefreshToken').find(first))?.consumed).toBe('number');
        // Long after the window, with no successor saved in its grant (a token of another
        // grant does not count): the rotation never completed, the token is still live.
        await db.query(
          "UPDATE oidc_payload SET consumed_at = consumed_at - interval '1 hour' WHERE kind = 'RefreshToken'",
        );
        expect((await graced.find(first))?.consumed, 'rotation incomplete').toBeUndefined();
        // Once a successor is saved in the grant, the consumption stands.
        await graced.upsert(
          successor,
          samplePayload('RefreshToken', successor, { grantId: 'g-1' }),
          600,
        );
        expect(typeof (await graced.find(first))?.consumed).toBe('number');
        expect((await graced.find(successor))?.consumed).toBeUndefined();
      });

      it('Destroy: the row is gone and other rows stay', async () => {
        const a = adapterFor('AccessToken');
        const [x, y] = [newId(), newId()];
        await a.upsert(x, samplePayload('AccessToken', x), 600);
        await a.upsert(y, samplePayload('AccessToken', y), 600);
        await a.destroy(x);
        await a.destroy(newId()); // unknown ids are fine
        expect(await a.find(x)).toBeUndefined();
        expect(await a.find(y)).toBeDefined();
        expect(await count()).toBe(1);
      });

      it('FindByUid: finds the Session by uid, only for its kind', async () => {
        const a = adapterFor('Session');
        const id = newId();
        const payload = samplePayload('Session', id, { uid: 'the-uid' });
        await a.upsert(id, payload, 600);
        expect(await a.findByUid('the-uid')).toEqual(payload);
        expect(await a.findByUid('other')).toBeUndefined();
        expect(await adapterFor('Interaction').findByUid('the-uid')).toBeUndefined();
      });

      it('FindByUserCode: finds the DeviceCode, with its jti, by user code', async () => {
        const a = adapterFor('DeviceCode');
        const id = newId();
        const payload = samplePayload('DeviceCode', id, { userCode: 'WDJBMJHT' });
        await a.upsert(id, payload, 600);
        const found = await a.findByUserCode('WDJBMJHT');
        expect(found).toEqual(payload);
        expect(found?.jti).toBe(id); // oidc-provider saves it again under this jti
        expect(await a.findByUserCode('XXXXXXXX')).toBeUndefined();
      });

      it('RevokeByGrantId: removes every token kind of that grant, and only that grant', async () => {
        const ids = new Map<string, string>();
        for (const grant of ['g1', 'g2']) {
          for (const kind of TOKEN_KINDS) {
            const id = newId();
            ids.set(`${grant}:${kind}`, id);
            await adapterFor(kind).upsert(id, samplePayload(kind, id, { grantId: grant }), 600);
          }
        }
        const grantRow = 'g1';
        await adapterFor('Grant').upsert(
          grantRow,
          samplePayload('Grant', grantRow, { grantId: undefined }),
          600,
        );
        const interaction = newId();
        await adapterFor('Interaction').upsert(
          interaction,
          samplePayload('Interaction', interaction, { grantId: 'g1' }),
          600,
        );

        await adapterFor('RefreshToken').revokeByGrantId('g1');

        for (const kind of TOKEN_KINDS) {
          expect(await adapterFor(kind).find(ids.get(`g1:${kind}`) ?? '')).toBeUndefined();
          expect(await adapterFor(kind).find(ids.get(`g2:${kind}`) ?? '')).toBeDefined();
        }
        // Like oidc-provider's memory adapter: the Grant itself and interactions are not tokens of the grant.
        expect(await adapterFor('Grant').find(grantRow)).toBeDefined();
        expect(await adapterFor('Interaction').find(interaction)).toBeDefined();
      });

      it('HashedIds: no credential-bearing id is stored in the clear', async () => {
        const raw = new Map<string, string>();
        for (const model of HASHED_MODELS) {
          const id = newId();
          raw.set(model, id);
          await adapterFor(model).upsert(id, samplePayload(model, id), 600);
        }
        const { rows } = await db.query<{ kind: string; id: string; payload: string }>(
          'SELECT kind, id, payload::text AS payload FROM oidc_payload',
        );
        expect(rows).toHaveLength(HASHED_MODELS.size);
        for (const row of rows) {
          const id = raw.get(row.kind) ?? '';
          expect(row.id).toBe(hashId(id));
          expect(row.id).not.toContain(id);
          // DeviceCode keeps its jti (found by user code, then saved under it): documented in adapter.ts.
          if (row.kind !== 'DeviceCode') expect(row.payload).not.toContain(id);
        }
        for (const [model, id] of raw) {
          expect((await adapterFor(model).find(id))?.jti).toBe(id);
          expect(await adapterFor(model).find(hashId(id))).toBeUndefined();
        }
        const session = newId();
        await adapterFor('Session').upsert(session, samplePayload('Session', session), 600);
        expect(await count('kind = $1 AND id = $2', ['Session', session])).toBe(1);
      });

      const NUL = 'a\u0000b';
      const LONE = 'x\uD800y';
      const calls: [string, (a: Adapter) => Promise<unknown>][] = [
        ['upsert id', (a) => a.upsert(NUL, samplePayload('AccessToken', 'ok'), 60)],
        [
          'upsert payload value',
          (a) => a.upsert(newId(), samplePayload('AccessToken', 'ok', { nonce: NUL }), 60),
        ],
        [
          'upsert payload key',
          (a) =>
            a.upsert(newId(), { ...samplePayload('AccessToken', 'ok'), extra: { [NUL]: 1 } }, 60),
        ],
        [
          'upsert nested lone surrogate',
          (a) =>
            a.upsert(
              newId(),
              { ...samplePayload('AccessToken', 'ok'), extra: { l: [[LONE]] } },
              60,
            ),
        ],
        ['find', (a) => a.find(NUL)],
        ['findByUid', (a) => a.findByUid(NUL)],
        ['findByUserCode', (a) => a.findByUserCode(NUL)],
        ['consume', (a) => a.consume(NUL)],
        ['destroy', (a) => a.destroy(NUL)],
        ['revokeByGrantId', (a) => a.revokeByGrantId(NUL)],
      ];
      it.each(calls)(
        'InvalidInput: a NUL byte or invalid Unicode in %s is invalid_request (400)',
        async (_what, call) => {
          expectInvalidRequest(await rejection(call(adapterFor('AccessToken'))));
          expect(await count()).toBe(0);
        },
      );

      it('InvalidInput: the database refusing a NUL byte is STORAGE_INVALID_INPUT, not a crash', async () => {
        const err = await rejection(
          db.query('INSERT INTO secrets (name, value) VALUES ($1, $2)', ['n', NUL]),
        );
        expect(isAppError(err, 'STORAGE_INVALID_INPUT')).toBe(true);
        const err2 = await rejection(db.query('SELECT $1::jsonb', [JSON.stringify({ v: NUL })]));
        expect(isAppError(err2, 'STORAGE_INVALID_INPUT')).toBe(true);
        await db.query('SELECT 1'); // still usable
      });
    });

    describe('read memo and identities', () => {
      it('ReadAhead: a refresh token read brings its grant and identity for the rest of the request only', async () => {
        const memo = new RequestMemo();
        const Memoized = createAdapterClass(db, { memo });
        const grantId = newId();
        const sub = `sub-${newId()}`;
        const rt = newId();
        await saveIdentity(db, 'corp', { userId: sub, username: 'reader' });
        await new Memoized('Grant').upsert(grantId, { accountId: sub, clientId: 'kubectl' }, 600);
        await new Memoized('RefreshToken').upsert(
          rt,
          { accountId: sub, grantId, kind: 'RefreshToken' },
          600,
        );
        await memo.run(async () => {
          expect((await new Memoized('RefreshToken').find(rt))?.['grantId']).toBe(grantId);
          // Gone from the database behind the memo's back: this request already read them.
          await db.query('DELETE FROM oidc_payload WHERE kind = $1 AND id = $2', [
            'Grant',
            grantId,
          ]);
          await db.query('DELETE FROM identities WHERE sub = $1', [sub]);
          expect(await new Memoized('Grant').find(grantId)).toMatchObject({ accountId: sub });
          expect((await findIdentity(db, sub, memo))?.identity.username).toBe('reader');
          // A write through the adapter drops what it changes.
          await new Memoized('Grant').destroy(grantId);
          expect(await new Memoized('Grant').find(grantId)).toBeUndefined();
        });
        // Another request reads the database.
        await memo.run(async () => {
          expect(await findIdentity(db, sub, memo)).toBeUndefined();
        });
        expect(await findIdentity(db, sub, memo)).toBeUndefined();
      });

      it('Identities: a save confirms now, a refusal is kept until the next confirmation', async () => {
        const sub = `sub-${newId()}`;
        const before = Date.now() - 5000;
        await saveIdentity(db, 'corp', { userId: sub, username: 'checked' });
        const saved = await findIdentity(db, sub);
        expect(saved?.checkedAt.getTime()).toBeGreaterThan(before);
        expect(saved?.refused).toBeUndefined();
        await markIdentityRefused(db, sub, 'disabled');
        await markIdentityRefused(db, sub, 'deleted');
        expect((await findIdentity(db, sub))?.refused?.reason).toBe('disabled');
        await markIdentityChecked(db, sub);
        expect((await findIdentity(db, sub))?.refused).toBeUndefined();
        await markIdentityRefused(db, sub, 'locked');
        await saveIdentity(db, 'corp', { userId: sub, username: 'checked' });
        expect((await findIdentity(db, sub))?.refused).toBeUndefined();
      });
    });

    describe('gc', () => {
      const insertRows = (n: number, expires: string) =>
        db.query(
          `INSERT INTO oidc_payload (kind, id, payload, expires_at)
           SELECT 'AccessToken', md5(random()::text || g::text), '{}'::jsonb, ${expires}
             FROM generate_series(1, $1::int) AS g`,
          [n],
        );

      it('GarbageCollect: deletes only expired rows, in bounded batches', async () => {
        await insertRows(25, "now() - interval '1 minute'");
        await insertRows(5, "now() + interval '1 hour'");
        await insertRows(3, 'NULL');
        expect(await garbageCollect(db, { batchSize: 10, maxBatches: 2 })).toEqual({
          deleted: 20,
          skipped: false,
        });
        expect(await count()).toBe(13);
        expect(await garbageCollect(db, { batchSize: 10, maxBatches: 2 })).toEqual({
          deleted: 5,
          skipped: false,
        });
        expect(await garbageCollect(db)).toEqual({ deleted: 0, skipped: false });
        expect(await count()).toBe(8);
        expect(await count('expires_at < now()')).toBe(0);
      });

      it('GcTimer: collects periodically, logs counts only, and stops', async () => {
        await insertRows(3, "now() - interval '1 minute'");
        const logged: [string, object, string][] = [];
        const log = {
          info: (o: object, m: string) => logged.push(['info', o, m]),
          debug: (o: object, m: string) => logged.push(['debug', o, m]),
          error: (o: object, m: string) => logged.push(['error', o, m]),
        };
        const stop = startGcTimer(db, 20, log);
        try {
          await pollUntil(count, (n) => n === 0, {
            what: 'the GC timer to collect the expired rows',
            timeoutMs: 3000,
            intervalMs: 10,
          });
        } finally {
          await stop();
        }
        expect(await count()).toBe(0);
        expect(logged).toContainEqual(['info', { deleted: 3 }, 'expired OIDC records deleted']);
        expect(logged.filter(([level]) => level === 'error')).toEqual([]);
        const seen = logged.length;
        await insertRows(1, "now() - interval '1 minute'");
        // An absence: five of the timer's periods go by, and it does not run. (The one clock
        // wait left here, 100 ms: the timer's own scheduling cannot be observed otherwise.)
        await sleep(100);
        expect(logged).toHaveLength(seen); // stopped: nothing ran after stop()
        expect(await count()).toBe(1);
      });

      it('GarbageCollect: does nothing while another holder runs it', async () => {
        await insertRows(3, "now() - interval '1 minute'");
        const inner = await db.withAdvisoryLock(LOCKS.gc, () => garbageCollect(db));
        expect(inner).toEqual({ deleted: 0, skipped: true });
        expect(await count()).toBe(3);
      });
    });

    describe('db', () => {
      it('Transaction: commits on resolve, rolls back on throw', async () => {
        const key = `tx-${newId()}`;
        await db.transaction(async (tx) => {
          await tx.query('INSERT INTO secrets (name, value) VALUES ($1, $2)', [`${key}-ok`, 'v']);
        });
        const boom = new Error('boom');
        const err = await rejection(
          db.transaction(async (tx) => {
            await tx.query('INSERT INTO secrets (name, value) VALUES ($1, $2)', [
              `${key}-rolled`,
              'v',
            ]);
            throw boom;
          }),
        );
        expect(err).toBe(boom);
        const { rows } = await db.query<{ name: string }>(
          'SELECT name FROM secrets WHERE name LIKE $1 ORDER BY name',
          [`${key}%`],
        );
        expect(rows.map((r) => r.name)).toEqual([`${key}-ok`]);
      });

      it('Query: reports rows and rowCount', async () => {
        await db.query("INSERT INTO secrets (name, value) VALUES ('rc1', 'a'), ('rc2', 'b')");
        const upd = await db.query("UPDATE secrets SET value = 'c' WHERE name IN ('rc1', 'rc2')");
        expect(upd.rowCount).toBe(2);
        const sel = await db.query<{ value: string }>('SELECT value FROM secrets WHERE name = $1', [
          'rc1',
        ]);
        expect(sel).toEqual({ rows: [{ value: 'c' }], rowCount: 1 });
        await db.query("DELETE FROM secrets WHERE name IN ('rc1', 'rc2')");
      });

      it('AdvisoryLock: wait:false returns undefined while the lock is held, and runs once it is free', async () => {
        const key = 0x5161_0999;
        let release!: () => void;
        const gate = new Promise<void>((resolve) => {
          release = resolve;
        });
        let entered!: () => void;
        const inside = new Promise<void>((resolve) => {
          entered = resolve;
        });
        const holder = db.withAdvisoryLock(key, async () => {
          entered();
          await gate;
          return 'held';
        });
        await inside;
        expect(
          await db.withAdvisoryLock(key, async () => 'second', { wait: false }),
        ).toBeUndefined();
        const waiter = db.withAdvisoryLock(key, async () => 'waited');
        release();
        expect(await holder).toBe('held');
        expect(await waiter).toBe('waited');
        expect(await db.withAdvisoryLock(key, async () => 'free', { wait: false })).toBe('free');
      });

      it('Ping: answers', async () => {
        await expect(db.ping(5000)).resolves.toBeUndefined();
      });
    });

    describe('migrations', () => {
      it('Migrate: running it again applies nothing', async () => {
        expect(await migrate(db)).toEqual({ applied: [] });
        const { rows } = await db.query<{ version: string; name: string }>(
          'SELECT version, name FROM schema_migrations',
        );
        expect(rows).toEqual((await allMigrations()).rows);
      });

      it('Migrate: refuses a database migrated by a newer sigil', async () => {
        await db.query("INSERT INTO schema_migrations (version, name) VALUES ('9999', 'future')");
        try {
          const err = await rejection(migrate(db));
          expect(isAppError(err, 'DB_MIGRATION_FAILED')).toBe(true);
          expect((err as Error).message).toContain('9999');
        } finally {
          await db.query("DELETE FROM schema_migrations WHERE version = '9999'");
        }
      });

      it('Migrate: a failing migration is rolled back and not recorded', async () => {
        const dir = await mkdtemp(join(tmpdir(), 'sigil-migrations-'));
        try {
          await cp(migrationsDir(), dir, { recursive: true });
          await writeFile(
            join(dir, '9000_broken.sql'),
            'CREATE TABLE conformance_half (a int);\nSELECT 1 / 0;\n',
          );
          const err = await rejection(migrate(db, dir));
          expect(isAppError(err, 'DB_MIGRATION_FAILED')).toBe(true);
          expect((err as Error).message).toContain('9000_broken');
          const t = await db.query("SELECT to_regclass('conformance_half') AS t");
          expect(t.rows[0]).toEqual({ t: null });
          expect(
            await db.query('SELECT 1 FROM schema_migrations WHERE version = $1', ['9000']),
          ).toEqual({ rows: [], rowCount: 0 });
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      });

      it('Migrate: concurrent runs on a fresh database apply each migration once', async () => {
        const fresh = await makeDb();
        const other = fresh.openAnother === undefined ? undefined : await fresh.openAnother();
        try {
          const results = await Promise.all([
            migrate(fresh.db),
            migrate(other ?? fresh.db),
            migrate(fresh.db),
          ]);
          const all = await allMigrations();
          expect(results.flatMap((r) => r.applied)).toEqual(all.applied);
          const { rows } = await fresh.db.query<{ n: string }>(
            'SELECT count(*)::text AS n FROM schema_migrations',
          );
          expect(rows[0]?.n).toBe(String(all.applied.length));
        } finally {
          await other?.close();
          await fresh.cleanup();
        }
      });
    });
  });
}
