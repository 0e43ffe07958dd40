import { describe, expect, it } from 'vitest';
import { clusterUser, type ClaimMapping } from '../../src/kube/index.js';

const DEFAULT: ClaimMapping = {
  usernameClaim: 'email',
  usernamePrefix: 'oidc:',
  groupsClaim: 'groups',
  groupsPrefix: 'oidc:',
};

const ALICE = {
  sub: 'b9d6f7a4',
  email: 'alice@example.com',
  email_verified: true,
  preferred_username: 'alice',
  groups: ['developers', 'viewers'],
};

describe('clusterUser (who am I on this cluster)', () => {
  it.each<[string, Record<string, unknown>, Partial<ClaimMapping>, unknown]>([
    [
      'email with prefixes',
      ALICE,
      {},
      {
        ok: true,
        username: 'oidc:alice@example.com',
        groups: ['oidc:developers', 'oidc:viewers'],
        uid: 'b9d6f7a4',
      },
    ],
    [
      'sub without prefixes',
      ALICE,
      { usernameClaim: 'sub', usernamePrefix: '', groupsPrefix: '' },
      { ok: true, username: 'b9d6f7a4', groups: ['developers', 'viewers'], uid: 'b9d6f7a4' },
    ],
    [
      'email without email_verified is accepted (as kube-apiserver does)',
      { sub: 's', email: 'a@x' },
      {},
      { ok: true, username: 'oidc:a@x', groups: [], uid: 's' },
    ],
    [
      'a single group as a string',
      { ...ALICE, groups: 'ops' },
      {},
      { ok: true, username: 'oidc:alice@example.com', groups: ['oidc:ops'], uid: 'b9d6f7a4' },
    ],
    [
      'email_verified false',
      { ...ALICE, email_verified: false },
      {},
      { ok: false, reason: 'the email address is not verified' },
    ],
    [
      'email_verified not a boolean',
      { ...ALICE, email_verified: 'true' },
      {},
      { ok: false, reason: 'the email_verified claim is not a boolean' },
    ],
    ['no username claim', { sub: 's' }, {}, { ok: false, reason: 'the token has no email claim' }],
    [
      'empty username',
      { ...ALICE, email: '' },
      {},
      { ok: false, reason: 'the email claim is empty' },
    ],
    [
      'username not a string',
      { ...ALICE, email: 42 },
      {},
      { ok: false, reason: 'the email claim is not a string' },
    ],
    [
      'groups of the wrong type',
      { ...ALICE, groups: [1, 2] },
      {},
      { ok: false, reason: 'the groups claim is not a string or a list of strings' },
    ],
    [
      'a system: username without prefix',
      { ...ALICE, preferred_username: 'system:admin' },
      { usernameClaim: 'preferred_username', usernamePrefix: '' },
      { ok: false, reason: 'the username system:admin uses the reserved system: prefix' },
    ],
    [
      'a system: group without prefix',
      { ...ALICE, groups: ['dev', 'system:masters'] },
      { groupsPrefix: '' },
      { ok: false, reason: 'the group system:masters uses the reserved system: prefix' },
    ],
    [
      'the prefix protects a system: group',
      { ...ALICE, groups: ['system:masters'] },
      {},
      {
        ok: true,
        username: 'oidc:alice@example.com',
        groups: ['oidc:system:masters'],
        uid: 'b9d6f7a4',
      },
    ],
  ])('%s', (_name, claims, mapping, want) => {
    expect(clusterUser(claims, { ...DEFAULT, ...mapping })).toEqual(want);
  });
});
