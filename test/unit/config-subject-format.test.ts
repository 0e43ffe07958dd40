import { describe, expect, it } from 'vitest';
import { configSchema, type ConfigInput } from '../../src/config/schema.js';

const ldap = (config: Record<string, unknown>) => ({
  type: 'ldap' as const,
  id: 'ldap',
  name: 'LDAP',
  config: {
    host: 'ldap.example.com:636',
    userSearch: { baseDN: 'ou=People,dc=example,dc=org', username: 'uid' },
    ...config,
  },
});

const base: ConfigInput = {
  issuer: 'https://sigil.example.com',
  web: { http: '0.0.0.0:5556', proxy: true },
  staticClients: [{ id: 'kubernetes', public: true }],
};

function parse(extra: Partial<ConfigInput>) {
  return configSchema.safeParse({ ...base, ...extra });
}

describe('config: subjectFormat and the imported password DB', () => {
  it('defaults to sigil, accepts dex, refuses anything else', () => {
    const def = parse({ connectors: [ldap({})] });
    expect(def.success && def.data.connectors[0]?.config.subjectFormat).toBe('sigil');
    const dex = parse({ connectors: [ldap({ subjectFormat: 'dex' })] });
    expect(dex.success && dex.data.connectors[0]?.config.subjectFormat).toBe('dex');
    expect(parse({ connectors: [ldap({ subjectFormat: 'DEX' })] }).success).toBe(false);
  });

  it('refuses subjectFormat dex with a binary objectGUID id, saying why', () => {
    const r = parse({
      connectors: [
        ldap({
          subjectFormat: 'dex',
          userSearch: { baseDN: 'dc=corp', username: 'sAMAccountName', idAttr: 'objectGUID' },
        }),
      ],
    });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain('subjectFormat dex needs a text idAttr');
  });

  it('accepts enablePasswordDB without staticPasswords, as Dex does (users imported from Dex)', () => {
    expect(parse({ enablePasswordDB: true }).success).toBe(true);
  });
});
