import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/index.js';
import { createElevatedTokens, resolveRoles } from '../../src/security/index.js';
import type { ActiveElevation } from '../../src/storage/index.js';

const config = configSchema.parse({
  issuer: 'https://sigil.example.com',
  web: { http: '0.0.0.0:5556', proxy: true },
  enablePasswordDB: true,
  staticPasswords: [{ email: 'a@example.com', hash: '$2b$10$x', username: 'a', userID: '1' }],
  staticClients: [
    { id: 'kubectl', public: true },
    { id: 'prod-aud', public: true, trustedPeers: ['kubectl'] },
    { id: 'staging', public: true },
  ],
  clusters: [
    {
      name: 'prod',
      server: 'https://a.example.com',
      clientID: 'prod-aud',
      loginClientID: 'kubectl',
    },
    { name: 'staging', server: 'https://b.example.com', clientID: 'staging' },
  ],
  elevation: {
    roles: [
      {
        name: 'admin',
        group: 'elevated:admin',
        eligible: ['devs'],
        approval: { approvers: ['sre'] },
        clusters: ['prod'],
        requireMFA: false,
      },
      { name: 'glass', group: 'elevated:glass', eligible: ['sre'], approval: 'self' },
    ],
  },
});

// No database: applicable() and settleMs() are pure (issued() writes, tested in integration).
const tokens = createElevatedTokens({
  db: { query: () => Promise.reject(new Error('no statement expected')) },
  roles: resolveRoles(config.elevation),
  clusters: config.clusters,
});

const grant = (over: Partial<ActiveElevation> = {}): ActiveElevation => ({
  id: 'el_AAAAAAAAAAAAAAAAAAAAAA',
  state: 'active',
  role: 'admin',
  group: 'elevated:admin',
  clusters: ['prod'],
  endsAt: new Date(Date.now() + 600_000),
  sids: [],
  ...over,
});

describe('which grants an id_token carries', () => {
  const ids = (g: ActiveElevation[]) => g.map((x) => x.role);

  it('only for the clients of the grant’s clusters (login client and audience)', () => {
    expect(ids(tokens.applicable([grant()], 'kubectl', undefined, ['devs']))).toEqual(['admin']);
    expect(ids(tokens.applicable([grant()], 'prod-aud', undefined, ['devs']))).toEqual(['admin']);
    expect(tokens.applicable([grant()], 'staging', undefined, ['devs'])).toEqual([]);
    expect(tokens.applicable([grant()], undefined, undefined, ['devs'])).toEqual([]);
  });

  it('for every client when the grant names no cluster; with requireMFA only from an MFA login', () => {
    const glass = grant({ role: 'glass', group: 'elevated:glass', clusters: [] });
    expect(tokens.applicable([glass], 'staging', 'urn:sigil:pwd', ['sre'])).toEqual([]);
    expect(tokens.applicable([glass], 'staging', undefined, ['sre'])).toEqual([]);
    expect(ids(tokens.applicable([glass], 'staging', 'urn:sigil:mfa', ['sre']))).toEqual(['glass']);
  });

  it('never for a person who left the eligible groups, a removed role, an ended or past grant', () => {
    expect(tokens.applicable([grant()], 'kubectl', undefined, ['visitors'])).toEqual([]);
    expect(tokens.applicable([grant({ role: 'gone' })], 'kubectl', undefined, ['devs'])).toEqual(
      [],
    );
    const ended = grant({ state: 'ended', endedAt: new Date() });
    expect(tokens.applicable([ended], 'kubectl', undefined, ['devs'])).toEqual([]);
    const past = grant({ endsAt: new Date(Date.now() - 1) });
    expect(tokens.applicable([past], 'kubectl', undefined, ['devs'])).toEqual([]);
  });

  it('holds a token request back past the end’s deny window only right after an end', () => {
    expect(tokens.settleMs([grant()])).toBe(0);
    expect(tokens.settleMs([grant({ state: 'ended', endedAt: new Date(Date.now() - 3000) })])).toBe(
      0,
    );
    const wait = tokens.settleMs([grant({ state: 'ended', endedAt: new Date() })]);
    expect(wait).toBeGreaterThanOrEqual(0);
    expect(wait).toBeGreaterThanOrEqual(1000);
    expect(wait).toBeLessThanOrEqual(2000);
    // An end a little ahead of this clock: still at most 2 s.
    const ahead = new Date(Date.now() + 5000);
    expect(tokens.settleMs([grant({ state: 'ended', endedAt: ahead })])).toBe(2000);
  });
});
