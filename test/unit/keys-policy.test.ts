import { describe, expect, it } from 'vitest';
import { configSchema, type ConfigInput } from '../../src/config/schema.js';
import { CLOCK_SKEW_MS, DEFAULT_POLL_MS, keyPolicyFromConfig } from '../../src/keys/index.js';

const base: ConfigInput = {
  issuer: 'https://sigil.example.com',
  web: { http: '127.0.0.1:5556', proxy: true },
  enablePasswordDB: true,
  staticPasswords: [{ email: 'a@example.com', hash: '$2a$10$x', username: 'a', userID: '1' }],
  staticClients: [{ id: 'kubectl', public: true }],
};

describe('key policy from the configuration', () => {
  it('defaults: RS256, 24h rotation, 1h lead time, JWKS max-age = lead time', () => {
    const p = keyPolicyFromConfig(configSchema.parse(base));
    expect(p.alg).toBe('RS256');
    expect(p.rotationPeriodMs).toBe(24 * 3_600_000);
    expect(p.leadTimeMs).toBe(3_600_000);
    expect(p.jwksMaxAgeSec).toBe(3600);
    expect(p.pollMs).toBe(DEFAULT_POLL_MS);
    // Retired keys outlive the longest id_token (10m default) by the skew and propagation.
    expect(p.retainMs).toBe(10 * 60_000 + CLOCK_SKEW_MS + p.propagationMs);
    expect(p.propagationMs).toBeGreaterThan(p.pollMs);
  });

  it('accepts Dex expiry.signingKeys as the rotation period', () => {
    const p = keyPolicyFromConfig(configSchema.parse({ ...base, expiry: { signingKeys: '6h' } }));
    expect(p.rotationPeriodMs).toBe(6 * 3_600_000);
  });

  it('refuses keys.rotationPeriod and expiry.signingKeys that disagree', () => {
    const r = configSchema.safeParse({
      ...base,
      expiry: { signingKeys: '6h' },
      keys: { rotationPeriod: '12h' },
    });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain('expiry.signingKeys');
    expect(
      configSchema.safeParse({
        ...base,
        expiry: { signingKeys: '6h' },
        keys: { rotationPeriod: '360m' },
      }).success,
    ).toBe(true);
  });

  it('keeps retired keys as long as the longest per-client id_token lifetime needs', () => {
    const p = keyPolicyFromConfig(
      configSchema.parse({
        ...base,
        keys: { algorithm: 'ES256', leadTime: '2500ms', rotationPeriod: '4s' },
        staticClients: [{ id: 'kubectl', public: true, idTokenTTL: '1h' }],
      }),
    );
    expect(p.alg).toBe('ES256');
    expect(p.jwksMaxAgeSec).toBe(2);
    expect(p.rotationPeriodMs).toBe(4000);
    expect(p.retainMs).toBe(3_600_000 + CLOCK_SKEW_MS + p.propagationMs);
  });

  it('refuses a short or malformed key-encryption secret and bad durations', () => {
    expect(configSchema.safeParse({ ...base, keys: { encryptionSecret: 'short' } }).success).toBe(
      false,
    );
    expect(configSchema.safeParse({ ...base, keys: { leadTime: 'soon' } }).success).toBe(false);
    expect(configSchema.safeParse({ ...base, keys: { algorithm: 'HS256' } }).success).toBe(false);
  });
});
