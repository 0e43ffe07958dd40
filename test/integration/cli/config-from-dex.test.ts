import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, sigil } from '../../support/cli.js';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'dex');

/** `sigil config check --from-dex`: Dex's file key by key; exit 0 runs as it is, 1 must change. */
describe('sigil config check --from-dex', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sigil-from-dex-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("names each key of Dex's LDAP example that must change, notes the rest, exits 1", () => {
    const r = sigil(['config', 'check', '--from-dex', join(FIXTURES, 'config-ldap.yaml')]);
    expect(r.status).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /3 key\(s\) must change before sigil can run this Dex configuration:$/,
    );
    expect(lines.filter((l) => l.startsWith('  change ')).map((l) => l.split(':')[0])).toEqual([
      '  change storage.type',
      '  change issuer',
      '  change web.http',
    ]);
    expect(r.stdout).toContain(
      'change storage.type: sqlite3: use `pglite` for an embedded database, or `sigil import dex` to bring its data over',
    );
    expect(lines.filter((l) => l.startsWith('  note ')).map((l) => l.split(':')[0])).toEqual([
      '  note oauth2.skipApprovalScreen',
      '  note connectors[0].config.userSearch.idAttr',
    ]);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('says a Dex file sigil can run as it is runs, lists the differences, exits 0', () => {
    const file = join(dir, 'dex.yaml');
    writeFileSync(
      file,
      [
        'issuer: https://auth.example.com/dex',
        'storage: { type: postgres, config: { host: "db:5432", database: dex, user: dex, password: $DEX_PW } }',
        'web: { https: 0.0.0.0:5554, tlsCert: /etc/dex/tls.crt, tlsKey: /etc/dex/tls.key }',
        'grpc: {}',
        'oauth2: { skipApprovalScreen: true, alwaysShowLoginScreen: true }',
        'staticClients: [{ idEnv: KUBE_ID, public: true, name: Kubernetes }]',
        'enablePasswordDB: true',
        '',
      ].join('\n'),
    );
    const env = { DEX_PW: 'pw', KUBE_ID: 'kubernetes' };
    const r = sigil(['config', 'check', '--from-dex', file], { env });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('sigil can run this Dex configuration as it is.');
    expect(r.stdout).toContain('  note oauth2.alwaysShowLoginScreen: not applied');
    expect(r.stderr).toBe('');
    // The same file, checked as sigil's own: one line.
    const plain = sigil(['config', 'check', file], { env });
    expect(plain.status).toBe(0);
    expect(plain.stdout).toMatch(
      /: ok \(issuer https:\/\/auth\.example\.com\/dex, 1 client\(s\), 1 connector\(s\)\)\n$/,
    );
    // Without the variable Dex would use an empty password: sigil refuses, naming the key.
    const unset = sigil(['config', 'check', '--from-dex', file], { env: { KUBE_ID: 'k' } });
    expect(unset.status).toBe(1);
    expect(unset.stdout).toContain(
      'change storage.config.password: environment variable DEX_PW is not set',
    );
  });
});
