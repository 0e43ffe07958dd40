import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ldapConfigSchema, type LdapConfigInput } from '../../src/config/index.js';
import { parseHosts, resolveLdapSettings } from '../../src/connectors/ldap/settings.js';

const base: LdapConfigInput = {
  host: 'ldap.example.org',
  insecureNoSSL: true,
  bindDN: 'cn=svc,dc=example,dc=org',
  bindPW: 'pw',
  userSearch: { baseDN: 'ou=People,dc=example,dc=org', username: 'uid' },
};

describe('ldap settings', () => {
  it('parses host lists with default ports per TLS mode', () => {
    expect(parseHosts('h1:1636, h2', 'ldaps').map((h) => h.url)).toEqual([
      'ldaps://h1:1636',
      'ldaps://h2:636',
    ]);
    expect(parseHosts('h1', 'starttls').map((h) => h.url)).toEqual(['ldap://h1:389']);
    expect(parseHosts('[::1]:389', 'none')).toEqual([
      { host: '::1', port: 389, label: '[::1]:389', url: 'ldap://[::1]:389' },
    ]);
    expect(() => parseHosts('h1:99999', 'ldaps')).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
    expect(() => parseHosts('ldaps://h1', 'ldaps')).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
  });

  it('parses durations and the legacy group matcher', () => {
    const s = resolveLdapSettings(
      ldapConfigSchema.parse({
        ...base,
        connectTimeout: '250ms',
        timeout: '1m',
        groupSearch: {
          baseDN: 'ou=Groups,dc=example,dc=org',
          userAttr: 'uid',
          groupAttr: 'memberUid',
        },
      }),
    );
    expect([s.connectTimeoutMs, s.timeoutMs, s.tlsMode]).toEqual([250, 60_000, 'none']);
    expect(s.matchers).toEqual([{ userAttr: 'uid', groupAttr: 'memberUid' }]);
  });

  it('turns base64 rootCAData into the CA to trust and refuses anything else', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const ok = resolveLdapSettings(
      ldapConfigSchema.parse({
        ...base,
        insecureNoSSL: false,
        rootCAData: Buffer.from(pem).toString('base64'),
      }),
    );
    // The CA is parsed once into the shared SecureContext (the ldaps-with-rootCAData case of
    // test/integration/ldap/connection.test.ts shows slapd's certificate verifies against it).
    expect(ok.tls.secureContext).toBeDefined();
    expect(ok.tls.ca).toBeUndefined();
    expect(ok.tls.rejectUnauthorized).toBe(true);
    expect(() =>
      resolveLdapSettings(
        ldapConfigSchema.parse({ ...base, insecureNoSSL: false, rootCAData: 'bm90IGEgY2VydA==' }),
      ),
    ).toThrow(expect.objectContaining({ code: 'TLS_INVALID' }));
  });

  it('refuses an unreadable client certificate pair at start-up, naming both files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sigil-ldap-settings-'));
    try {
      const cert = join(dir, 'client.crt');
      const key = join(dir, 'client.key');
      writeFileSync(cert, 'not a certificate\n');
      writeFileSync(key, 'not a key\n');
      const cfg = ldapConfigSchema.parse({
        ...base,
        insecureNoSSL: false,
        clientCert: cert,
        clientKey: key,
      });
      expect(() => resolveLdapSettings(cfg)).toThrow(
        expect.objectContaining({
          code: 'TLS_INVALID',
          message: expect.stringContaining(`clientCert ${cert}, clientKey ${key}`),
        }),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each<[string, Partial<LdapConfigInput>, string]>([
    ['insecureNoSSL with startTLS', { startTLS: true }, 'startTLS'],
    ['rootCA with rootCAData', { rootCA: '/a', rootCAData: 'b' }, 'rootCAData'],
    ['clientCert without clientKey', { clientCert: '/a' }, 'clientKey'],
    ['bindDN without password', { bindPW: '' }, 'bindPW'],
    ['bad duration', { timeout: 'soon' }, 'timeout'],
    [
      'group search without matcher',
      { groupSearch: { baseDN: 'ou=G' } },
      'groupSearch.userMatchers',
    ],
    [
      'unparsable user filter',
      { userSearch: { baseDN: 'ou=P', username: 'uid', filter: '(&(a=b)' } },
      'userSearch.filter',
    ],
  ])('the schema refuses %s', (_label, over, path) => {
    const r = ldapConfigSchema.safeParse({ ...base, ...over });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join('.'))).toContain(path);
  });
});
