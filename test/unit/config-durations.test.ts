import { describe, expect, it } from 'vitest';
import { configAsInput, configSchema, type ConfigInput } from '../../src/config/index.js';

const base: ConfigInput = {
  issuer: 'https://sigil.example.com',
  web: { http: '0.0.0.0:5556', proxy: true },
  enablePasswordDB: true,
  staticPasswords: [{ email: 'a@example.com', hash: '$2b$10$x', username: 'a', userID: 'a1' }],
  staticClients: [{ id: 'kubectl', public: true, idTokenTTL: '90s' }],
};

describe('durations in the parsed config', () => {
  it('are milliseconds, defaults included, written as the user writes them', () => {
    const c = configSchema.parse({ ...base, expiry: { sessions: '1h30m' } });
    expect(c.expiry.idTokens).toBe(600_000);
    expect(c.expiry.sessions).toBe(5_400_000);
    expect(c.expiry.refreshTokens.absoluteLifetime).toBe(720 * 3_600_000);
    expect(c.throttle.backoff.initial).toBe(1000);
    expect(c.staticClients[0]?.idTokenTTL).toBe(90_000);
    expect(c.keys.rotationPeriod).toBeUndefined();
  });

  it('refuses what is not a duration, with the path and an example', () => {
    const r = configSchema.safeParse({ ...base, audit: { retention: 'forever' } });
    expect(r.error?.issues).toContainEqual(
      expect.objectContaining({
        path: ['audit', 'retention'],
        message: 'not a duration (e.g. 10m, 24h, 90s)',
      }),
    );
  });

  it('go back to text with configAsInput, and parse to the same config again', () => {
    const c = configSchema.parse(base);
    const input = configAsInput(c);
    expect(input.expiry?.idTokens).toBe('10m');
    expect(configSchema.parse(input)).toEqual(c);
  });
});
