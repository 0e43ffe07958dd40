import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet } from 'jose';
import { Attribute, Change, type Client as LdapClient } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../../src/connectors/static/index.js';
import type { Client } from '../../support/http-client.js';
import { slapdConnector } from '../../support/ldap-test-ou.js';
import {
  follow,
  loginTokens,
  LOOPBACK,
  passwordGrant,
  withRefreshToken,
} from '../../support/oidc-flow.js';
import { ALICE, startTestSigil, type TestSigil } from '../../support/sigil.js';
import { LDAP_FIXTURES } from '../../support/slapd.js';
import { adminClient, deleteTree } from '../ldap/support.js';
import { auditRows, BOB, awaitAuditRows, openLogin, submit, users } from './support.js';

const CI = { id: 'ci', secret: 'ci-secret-for-policy-123' };

async function exchange(s: TestSigil, clientId: string, username: string, password: string) {
  const t = await loginTokens(s.client(), {
    clientId,
    redirectUri: LOOPBACK,
    scope: 'openid profile groups',
    username,
    password,
  });
  return withRefreshToken(t);
}

describe('per-client access policy and reserved names (static users)', () => {
  let s: TestSigil;
  beforeAll(async () => {
    s = await startTestSigil('pglite', {
      staticPasswords: await users([
        {
          email: 'root@example.com',
          hash: await hashPassword('root password 1'),
          username: 'system:admin',
          userID: 'root-1',
          groups: ['ops'],
        },
      ]),
      staticClients: [
        { id: 'kubectl', public: true, name: 'kubectl' },
        {
          id: 'prod',
          public: true,
          name: 'Production <cluster>',
          allowedGroups: ['ops'],
          groupFilter: { exclude: ['viewers'], prefix: 'corp:' },
        },
        { id: 'small', public: true, name: 'Small', maxGroups: 1 },
        { id: 'devs', public: true, groupFilter: { include: ['/^dev/', 'v*'] } },
        {
          id: CI.id,
          secret: CI.secret,
          redirectURIs: ['https://ci.example.com/cb'],
          passwordGrant: true,
          allowedGroups: ['ops'],
        },
      ],
    });
  });
  afterAll(async () => {
    await s.close();
  });

  it('refuses alice on a client that needs `ops`: a readable 403 page, then access_denied to the client', async () => {
    const c = s.client();
    const f = await openLogin(c, 'prod');
    const r = await submit(c, f, ALICE.username, ALICE.password);
    expect(r.status).toBe(403);
    expect(r.text).toContain('Access denied');
    expect(r.text).toContain('not a member of a group allowed to use Production &lt;cluster&gt;');
    expect(r.text).not.toContain('<cluster>');
    const back = /href="([^"]+)">Return to/.exec(r.text)?.[1];
    expect(back).toBeDefined();
    const out = await follow(
      c,
      await c.get(new URL(back!.replaceAll('&amp;', '&'), s.issuer).pathname),
    );
    expect(out.status).toBe(303);
    const loc = new URL(out.location!);
    expect(loc.origin).toBe(LOOPBACK);
    expect(loc.searchParams.get('error')).toBe('access_denied');
    expect(loc.searchParams.get('error_description')).toMatch(/not a member of a group allowed/);
    const rows = await auditRows(s.server.db, "event = 'login' AND client_id = 'prod'");
    expect(rows.at(-1)).toMatchObject({
      outcome: 'denied',
      reason: 'not_in_allowed_groups',
      username: 'alice',
    });
  });

  it('lets bob in with a filtered, prefixed groups claim; system: groups never reach a token', async () => {
    const prod = decodeJwt((await exchange(s, 'prod', BOB.username, BOB.password)).id_token);
    expect(prod['groups']).toEqual(['corp:ops']);
    const kubectl = decodeJwt((await exchange(s, 'kubectl', BOB.username, BOB.password)).id_token);
    expect(kubectl['groups']).toEqual(['ops', 'viewers']);
    const devs = decodeJwt((await exchange(s, 'devs', ALICE.username, ALICE.password)).id_token);
    expect(devs['groups']).toEqual(['developers', 'viewers']);
    const devsBob = decodeJwt((await exchange(s, 'devs', BOB.username, BOB.password)).id_token);
    expect(devsBob['groups']).toEqual(['viewers']);
    const dropped = await auditRows(s.server.db, "event = 'groups.reserved_dropped'");
    expect(dropped.length).toBeGreaterThanOrEqual(3);
    expect(dropped[0]).toMatchObject({
      outcome: 'denied',
      username: 'bob',
      reason: 'reserved_group',
    });
    expect(dropped[0]!.details['groups']).toEqual(['system:masters']);
  });

  it('fails clearly when the groups claim would exceed maxGroups', async () => {
    const c = s.client();
    const r = await submit(c, await openLogin(c, 'small'), ALICE.username, ALICE.password);
    expect(r.status).toBe(403);
    expect(r.text).toContain('would carry 2 groups, more than the 1 allowed for Small');
    const rows = await auditRows(s.server.db, "event = 'login' AND client_id = 'small'");
    expect(rows.at(-1)).toMatchObject({ outcome: 'denied', reason: 'too_many_groups' });
  });

  it('refuses reserved usernames like a wrong password, typed or returned by the directory', async () => {
    const c = s.client();
    const f = await openLogin(c);
    const wrong = await submit(c, f, 'nobody', 'whatever');
    const typed = await submit(c, f, 'system:anonymous', 'whatever');
    const stored = await submit(c, f, 'root@example.com', 'root password 1'); // username system:admin
    for (const r of [typed, stored]) {
      expect(r.status).toBe(401);
      expect(r.text).toContain('Invalid username or password.');
    }
    expect(typed.text.replace('system:anonymous', 'nobody')).toBe(wrong.text);
    const rows = await auditRows(s.server.db, "reason = 'reserved_username'");
    expect(rows.map((r) => [r.outcome, r.username])).toEqual([
      ['denied', 'system:anonymous'],
      ['denied', 'system:admin'],
    ]);
  });

  it('applies the same policy, throttle and audit to the password grant', async () => {
    const ci = { clientId: CI.id, clientSecret: CI.secret };
    const denied = await passwordGrant(s.client(), ci, ALICE, 'openid groups');
    expect(denied.status).toBe(400);
    expect(denied.json()).toMatchObject({ error: 'access_denied' });
    expect(String(denied.json()['error_description'])).toMatch(/not a member of a group allowed/);
    const ok = await passwordGrant(s.client(), ci, BOB, 'openid groups');
    expect(ok.status, ok.text).toBe(200);
    expect(decodeJwt(ok.json<{ id_token: string }>().id_token)['groups']).toEqual([
      'ops',
      'viewers',
    ]);
    const bad = await passwordGrant(
      s.client(),
      ci,
      { username: 'bob', password: 'not it' },
      'openid',
    );
    expect(bad.json()['error']).toBe('invalid_grant');
    const rows = await auditRows(s.server.db, "event = 'login' AND client_id = 'ci'");
    expect(rows.map((r) => [r.username, r.outcome, r.reason, r.details['channel']])).toEqual([
      ['alice', 'denied', 'not_in_allowed_groups', 'password_grant'],
      ['bob', 'success', null, 'password_grant'],
      ['bob', 'failure', 'bad_password', 'password_grant'],
    ]);
    const issued = await awaitAuditRows(s.server.db, "event = 'token.issued' AND client_id = 'ci'");
    expect(issued[0]!.details['grantType']).toBe('password');
  });
});

// Directory changes live under ou=TestPolicy.
const PEOPLE = `ou=TestPolicy,${LDAP_FIXTURES.peopleDN}`;
const GROUPS = `ou=TestPolicy,${LDAP_FIXTURES.groupsDN}`;
const userDn = (uid: string) => `uid=${uid},${PEOPLE}`;

describe('allowedGroups is enforced again at every refresh (LDAP)', () => {
  let admin: LdapClient;
  let s: TestSigil;
  let jwks: ReturnType<typeof createLocalJWKSet>;

  beforeAll(async () => {
    admin = await adminClient();
    await deleteTree(admin, PEOPLE);
    await deleteTree(admin, GROUPS);
    await admin.add(PEOPLE, { objectClass: 'organizationalUnit', ou: 'TestPolicy' });
    await admin.add(GROUPS, { objectClass: 'organizationalUnit', ou: 'TestPolicy' });
    await admin.add(userDn('p-dana'), {
      objectClass: 'inetOrgPerson',
      uid: 'p-dana',
      cn: 'Dana',
      sn: 'Dana',
      mail: 'p-dana@example.org',
      userPassword: 'p-dana-pw',
    });
    await admin.add(`cn=p-ops,${GROUPS}`, {
      objectClass: 'groupOfNames',
      cn: 'p-ops',
      member: [userDn('p-dana')],
    });
    await admin.add(`cn=system:masters,${GROUPS}`, {
      objectClass: 'groupOfNames',
      cn: 'system:masters',
      member: [userDn('p-dana')],
    });
    s = await startTestSigil('postgres', {
      enablePasswordDB: false,
      staticPasswords: [],
      staticClients: [{ id: 'prod', public: true, name: 'prod', allowedGroups: ['p-ops'] }],
      connectors: [slapdConnector({ peopleDN: PEOPLE, groupsDN: GROUPS, idAttr: 'entryUUID' })],
    });
    jwks = createLocalJWKSet((await s.client().get('/jwks')).json<JSONWebKeySet>());
  });
  afterAll(async () => {
    await s.close();
    await deleteTree(admin, PEOPLE);
    await deleteTree(admin, GROUPS);
    await admin.unbind();
  });

  const refresh = (c: Client, rt: string) =>
    c.post('/token', { grant_type: 'refresh_token', refresh_token: rt, client_id: 'prod' });

  it('refreshes while dana is in p-ops, refuses with invalid_grant once she is not', async () => {
    // The client asks for no groups scope: the policy fetches the groups anyway.
    const t = withRefreshToken(
      await loginTokens(s.client(), {
        clientId: 'prod',
        redirectUri: LOOPBACK,
        scope: 'openid',
        username: 'p-dana',
        password: 'p-dana-pw',
      }),
    );
    const first = await refresh(s.client(), t.refresh_token);
    expect(first.status, first.text).toBe(200);
    const next = first.json<{ id_token: string; refresh_token?: string }>();
    await jwtVerify(next.id_token, jwks, { audience: 'prod' });

    await admin.modify(
      `cn=p-ops,${GROUPS}`,
      new Change({
        operation: 'replace',
        modification: new Attribute({ type: 'member', values: [`cn=system:masters,${GROUPS}`] }),
      }),
    );
    const refused = await refresh(s.client(), next.refresh_token ?? t.refresh_token);
    expect(refused.status).toBe(400);
    expect(refused.json()).toMatchObject({ error: 'invalid_grant' });
    expect(String(refused.json()['error_description'])).toMatch(
      /not a member of a group allowed to use prod/,
    );

    const rows = await awaitAuditRows(s.server.db, "event = 'token.refresh_denied'");
    expect(rows).toHaveLength(1); // recorded once, with the precise reason
    expect(rows[0]).toMatchObject({
      outcome: 'denied',
      reason: 'not_in_allowed_groups',
      username: 'p-dana',
      client_id: 'prod',
    });
    const dropped = await auditRows(s.server.db, "event = 'groups.reserved_dropped'");
    expect(dropped[0]!.details['groups']).toEqual(['system:masters']);
  });
});
