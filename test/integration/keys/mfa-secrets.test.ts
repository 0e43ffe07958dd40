import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSealer, PLAINTEXT_SEALER, reencryptKeys } from '../../../src/keys/index.js';
import { MfaService } from '../../../src/security/index.js';
import {
  listTotpSecrets,
  migrate,
  openPgliteDb,
  totpSealContext,
  type Db,
} from '../../../src/storage/index.js';

/**
 * TOTP secrets are sealed at rest with the signing keys' sealer, and `sigil keys reencrypt`
 * (reencryptKeys) seals them again under a new secret, with the keys, all or nothing.
 */
describe('TOTP secrets at rest', () => {
  let dir: string;
  let db: Db;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sigil-mfa-seal-'));
    db = await openPgliteDb(join(dir, 'data'));
    await migrate(db);
  });
  afterAll(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  const audit = {
    record: async () => {},
    markRecorded: () => {},
    wasRecorded: () => false,
    flush: async () => {},
    close: async () => {},
  };
  const throttle = {
    check: () => Promise.resolve({ allowed: true, retryAfterSec: 0, failures: 0 }),
    recordFailure: () => Promise.resolve({ allowed: true, retryAfterSec: 0, failures: 1 }),
    recordSuccess: () => Promise.resolve(),
  };
  const rp = { id: 'localhost', origin: 'https://localhost', name: 'sigil' };
  const who = { sub: 'sub-1', connectorId: 'local', username: 'alice' };

  it('stores the secret sealed, never as the base32 the app got; reencrypt moves it to the new secret', async () => {
    const oldSealer = createSealer('old secret for tests');
    const mfa = new MfaService({ db, sealer: oldSealer, audit, throttle, rp, appName: 'sigil' });
    const { factorId, secret } = await mfa.startTotp(who);
    const [row] = await listTotpSecrets(db);
    expect(row?.encrypted).toBe(true);
    expect(row?.secret).not.toContain(secret);
    expect(oldSealer.open(row?.secret ?? '', totpSealContext(factorId))).toBe(secret);

    const newSealer = createSealer('new secret for tests');
    // The wrong "old" secret: nothing changes.
    await expect(reencryptKeys(db, newSealer, createSealer('wrong'))).rejects.toMatchObject({
      code: 'KEYS_UNAVAILABLE',
    });
    expect((await listTotpSecrets(db))[0]?.secret).toBe(row?.secret);
    const r = await reencryptKeys(db, newSealer, oldSealer);
    expect(r.totpSecrets).toBe(1);
    const [after] = await listTotpSecrets(db);
    expect(newSealer.open(after?.secret ?? '', totpSealContext(factorId))).toBe(secret);
    // The factor still works under the new secret.
    const mfa2 = new MfaService({ db, sealer: newSealer, audit, throttle, rp, appName: 'sigil' });
    expect((await mfa2.pendingTotp(who, factorId))?.secret).toBe(secret);
    // And back to plaintext when the secret is removed from the config.
    await reencryptKeys(db, PLAINTEXT_SEALER, newSealer);
    expect((await listTotpSecrets(db))[0]).toMatchObject({ secret, encrypted: false });
  });
});
