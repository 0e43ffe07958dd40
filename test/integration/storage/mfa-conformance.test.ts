import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  acceptSignCount,
  acceptTotpStep,
  confirmFactor,
  createFactor,
  deleteAllMfa,
  deleteFactor,
  findWebauthnFactor,
  listFactors,
  migrate,
  replaceRecoveryCodes,
  saveChallenge,
  takeChallenge,
  unusedRecoveryCodes,
  useRecoveryCode,
  type Db,
} from '../../../src/storage/index.js';
import { freshPglite, freshPostgres } from './backends.js';
import type { ConformanceDb } from './conformance.js';

interface Backend {
  readonly db: Db;
  /** A second pool on the same database (two replicas), where the back end has one. */
  readonly other: Db;
  readonly cleanup: () => Promise<void>;
}

/** The back end with a second pool where it has one (PGlite, one process's database: itself). */
async function withOther(opened: ConformanceDb): Promise<Backend> {
  return { ...opened, other: (await opened.openAnother?.()) ?? opened.db };
}

const alice = { sub: 'sub-alice', connectorId: 'ldap' };
const bob = { sub: 'sub-bob', connectorId: 'ldap' };

/** The MFA storage cases, run on PostgreSQL and on PGlite alike. */
function runMfaConformance(name: string, open: () => Promise<Backend>): void {
  describe(`mfa storage on ${name}`, () => {
    let b: Backend;
    beforeAll(async () => {
      b = await open();
      await migrate(b.db);
    });
    afterAll(async () => {
      await b.cleanup();
    });

    it('an unfinished enrollment never counts and is replaced by the next one', async () => {
      await createFactor(b.db, { ...alice, id: 't1', kind: 'totp', name: 'phone', secret: 's1' });
      expect(await listFactors(b.db, alice)).toEqual([]);
      await createFactor(b.db, { ...alice, id: 't2', kind: 'totp', name: 'phone', secret: 's2' });
      const all = await listFactors(b.db, alice, { includeUnconfirmed: true });
      expect(all.map((f) => f.id)).toEqual(['t2']);
      // An unconfirmed factor accepts no code.
      expect(await acceptTotpStep(b.db, 't2', 100)).toBe(false);
      // Another person cannot confirm it.
      expect(await confirmFactor(b.db, bob, 't2', 100)).toBe(false);
      expect(await confirmFactor(b.db, alice, 't2', 100)).toBe(true);
      expect(await confirmFactor(b.db, alice, 't2', 101)).toBe(false);
      const [f] = await listFactors(b.db, alice);
      expect(f).toMatchObject({ id: 't2', kind: 'totp', secret: 's2', lastStep: 100 });
      expect(f?.confirmedAt).toBeInstanceOf(Date);
    });

    it('accepts a TOTP step once, only later steps, and one of two replicas racing', async () => {
      expect(await acceptTotpStep(b.db, 't2', 100)).toBe(false);
      expect(await acceptTotpStep(b.db, 't2', 99)).toBe(false);
      const race = await Promise.all([
        acceptTotpStep(b.db, 't2', 101),
        acceptTotpStep(b.other, 't2', 101),
        acceptTotpStep(b.db, 't2', 101),
      ]);
      expect(race.filter(Boolean)).toHaveLength(1);
      expect((await listFactors(b.db, alice))[0]?.lastStep).toBe(101);
    });

    it('refuses a WebAuthn counter that does not go forward', async () => {
      await createFactor(b.db, {
        ...alice,
        id: 'w1',
        kind: 'webauthn',
        name: 'key',
        credentialId: 'cred-1',
        publicKey: 'pk',
        signCount: 5,
        transports: ['usb'],
        deviceType: 'singleDevice',
        confirmed: true,
      });
      expect(await findWebauthnFactor(b.db, 'cred-1')).toMatchObject({
        sub: alice.sub,
        signCount: 5,
        transports: ['usb'],
      });
      expect(await acceptSignCount(b.db, 'w1', 5)).toBe(false);
      expect(await acceptSignCount(b.db, 'w1', 3)).toBe(false);
      expect(await acceptSignCount(b.db, 'w1', 6)).toBe(true);
      expect(await findWebauthnFactor(b.db, 'cred-unknown')).toBeUndefined();
    });

    it('uses each recovery code once; a new set replaces the old one', async () => {
      await replaceRecoveryCodes(b.db, alice, ['h1', 'h2', 'h3']);
      expect(await unusedRecoveryCodes(b.db, alice)).toBe(3);
      expect(await useRecoveryCode(b.db, bob, 'h1')).toBe(false);
      const race = await Promise.all([
        useRecoveryCode(b.db, alice, 'h1'),
        useRecoveryCode(b.other, alice, 'h1'),
      ]);
      expect(race.filter(Boolean)).toHaveLength(1);
      expect(await unusedRecoveryCodes(b.db, alice)).toBe(2);
      await replaceRecoveryCodes(b.db, alice, ['h4']);
      expect(await useRecoveryCode(b.db, alice, 'h2')).toBe(false);
      expect(await unusedRecoveryCodes(b.db, alice)).toBe(1);
    });

    it('takes a challenge once, for its person and purpose, before it expires', async () => {
      await saveChallenge(b.db, {
        challenge: 'c1',
        sub: alice.sub,
        purpose: 'authenticate',
        ttlMs: 60_000,
      });
      expect(
        await takeChallenge(b.db, { challenge: 'c1', sub: bob.sub, purpose: 'authenticate' }),
      ).toBe(false);
      expect(
        await takeChallenge(b.db, { challenge: 'c1', sub: alice.sub, purpose: 'register' }),
      ).toBe(false);
      const race = await Promise.all([
        takeChallenge(b.db, { challenge: 'c1', sub: alice.sub, purpose: 'authenticate' }),
        takeChallenge(b.other, { challenge: 'c1', sub: alice.sub, purpose: 'authenticate' }),
      ]);
      expect(race.filter(Boolean)).toHaveLength(1);
      await saveChallenge(b.db, {
        challenge: 'c2',
        sub: alice.sub,
        purpose: 'authenticate',
        ttlMs: -1000,
      });
      expect(
        await takeChallenge(b.db, { challenge: 'c2', sub: alice.sub, purpose: 'authenticate' }),
      ).toBe(false);
    });

    it('deletes one factor of its owner only, and everything on reset', async () => {
      expect(await deleteFactor(b.db, bob, 'w1')).toBe(false);
      expect(await deleteFactor(b.db, alice, 'w1')).toBe(true);
      expect(await deleteAllMfa(b.db, alice)).toEqual({ factors: 1, recoveryCodes: 1 });
      expect(await listFactors(b.db, alice, { includeUnconfirmed: true })).toEqual([]);
    });

    it('refuses text PostgreSQL cannot store with STORAGE_INVALID_INPUT, not a crash', async () => {
      await expect(
        createFactor(b.db, { ...alice, id: 'bad\u0000', kind: 'totp', name: 'x', secret: 's' }),
      ).rejects.toMatchObject({ code: 'STORAGE_INVALID_INPUT' });
    });
  });
}

runMfaConformance('postgres', async () => withOther(await freshPostgres('mfa')));
runMfaConformance('pglite', async () => withOther(await freshPglite('mfa')));
