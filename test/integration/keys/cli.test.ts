import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sigil } from '../../support/cli.js';
import { createTestDatabase } from '../../support/postgres.js';

/**
 * `sigil keys …` as an operator runs it (dist/main.js, real PostgreSQL): bootstrap, list,
 * a key-encryption secret from a file, re-encryption under a new secret, clear errors.
 */
describe('sigil keys (CLI)', () => {
  let dir: string;
  let url: string;
  let drop: () => Promise<void>;
  const config = (secretFile: string | undefined) => {
    const file = join(dir, `sigil-${secretFile === undefined ? 'plain' : 'sealed'}.yaml`);
    writeFileSync(
      file,
      [
        'issuer: https://sigil.example.com',
        'storage: { type: postgres, config: { url: "${TEST_DB_URL}" } }',
        'web: { http: "127.0.0.1:5556", proxy: true }',
        'enablePasswordDB: true',
        'staticPasswords: [{ email: a@example.com, hash: "$2b$04$n/xqDqzvxO0Bv3DQxErK/.FBXgf.ZZ.Ag6ETRgstk3j1WNwcTA5rC", username: a, userID: "1" }]',
        'staticClients: [{ id: kubectl, public: true }]',
        ...(secretFile === undefined ? [] : [`keys: { encryptionSecretFile: ${secretFile} }`]),
      ].join('\n'),
    );
    return file;
  };
  const run = (args: string[]) => sigil(args, { env: { TEST_DB_URL: url } });
  const rows = async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      return (
        await c.query<{ kid: string; state: string; encrypted: boolean; private_jwk: string }>(
          'SELECT kid, state, encrypted, private_jwk FROM signing_keys',
        )
      ).rows;
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sigil-keys-cli-'));
    ({ url, drop } = await createTestDatabase(inject('pgUrl'), 'sigil_keys_cli'));
    writeFileSync(join(dir, 'old.secret'), 'the first key-encryption secret\n');
    writeFileSync(join(dir, 'new.secret'), 'the second key-encryption secret\n');
  });
  afterAll(async () => {
    await drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('needs a migrated database and a config', () => {
    const noSchema = run(['keys', 'list', '--config', config(undefined)]);
    expect(noSchema.status).toBe(1);
    expect(noSchema.stderr).toContain('run `sigil migrate`');
    const noConfig = sigil(['keys', 'list'], { env: { SIGIL_CONFIG: '' } });
    expect(noConfig.status).toBe(1);
    expect(noConfig.stderr).toContain('needs --config');
  });

  it('bootstraps, lists, and keeps private keys sealed under the secret from a file', async () => {
    expect(run(['migrate', '--config', config(undefined)]).status).toBe(0);
    expect(run(['keys', 'list', '--config', config(undefined)]).stdout).toContain(
      'no signing keys yet',
    );
    const sealed = config(join(dir, 'old.secret'));
    const boot = run(['keys', 'rotate', '--config', sealed]);
    expect(boot.status, boot.stderr).toBe(0);
    expect(boot.stdout).toMatch(/rotated: \S+ signs now/);
    const list = run(['keys', 'list', '--config', sealed]);
    expect(list.stdout).toMatch(/^\S+\s+RS256\s+active\s+yes\s+encrypted\s+\d{4}-/m);
    expect(list.stdout).toMatch(/^\S+\s+RS256\s+next\s+yes\s+encrypted\s+\d{4}-/m);
    for (const r of await rows()) {
      expect(r.encrypted).toBe(true);
      expect(r.private_jwk).not.toContain('"d"');
    }
  });

  it('re-encrypts under a new secret with --old-secret-file; a wrong old secret changes nothing', async () => {
    const sealedNew = config(join(dir, 'new.secret'));
    const before = await rows();
    const wrong = run([
      'keys',
      'reencrypt',
      '--config',
      sealedNew,
      '--old-secret-file',
      join(dir, 'new.secret'),
    ]);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain('opens with neither');
    expect(await rows()).toEqual(before);

    const ok = run([
      'keys',
      'reencrypt',
      '--config',
      sealedNew,
      '--old-secret-file',
      join(dir, 'old.secret'),
    ]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('re-encrypted 2 private key(s)');
    const after = await rows();
    expect(after.map((r) => r.private_jwk)).not.toEqual(before.map((r) => r.private_jwk));
    // The new secret now opens them: a forced rotation loads nothing private, but the
    // revocation of the next key and a fresh list work, and `reencrypt` with no old secret is a no-op re-seal.
    const again = run(['keys', 'reencrypt', '--config', sealedNew]);
    expect(again.status, again.stderr).toBe(0);
    const next = after.find((r) => r.state === 'next')!.kid;
    const revoke = run(['keys', 'revoke', next, '--config', sealedNew]);
    expect(revoke.status, revoke.stderr).toBe(0);
    expect(revoke.stdout).toContain('it never signed');
    const unknown = run(['keys', 'revoke', 'nope', '--config', sealedNew]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('[KEY_NOT_FOUND]');
  });
});
