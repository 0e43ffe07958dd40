import { createServer, Socket, type Server } from 'node:net';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { Attribute, Change, type Client as LdapClient } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { slapdConnector } from '../../support/ldap-test-ou.js';
import { LDAP_FIXTURES } from '../../support/slapd.js';
import { adminClient, deleteTree } from '../ldap/support.js';
import { authPath } from '../../support/auth-request.js';
import { follow, loginTokens, submitLogin, withRefreshToken } from '../../support/oidc-flow.js';
import { startTestSigil, type TestSigil } from '../../support/sigil.js';
import { hiddenInput } from '../../support/http-client.js';

// Everything this file changes in the directory lives under ou=TestE2E.
const PEOPLE = `ou=TestE2E,${LDAP_FIXTURES.peopleDN}`;
const GROUPS = `ou=TestE2E,${LDAP_FIXTURES.groupsDN}`;
const userDn = (uid: string) => `uid=${uid},${PEOPLE}`;
const REDIRECT = 'http://127.0.0.1:18000';

/** A TCP relay to slapd's ldaps port that the test can take down and bring back on the same port. */
class Switch {
  #server: Server | undefined;
  #sockets = new Set<Socket>();
  port = 0;
  readonly target: number;
  constructor(target: number) {
    this.target = target;
  }
  async up(): Promise<void> {
    const srv = createServer((inbound) => {
      const outbound = new Socket();
      outbound.connect(this.target, '127.0.0.1');
      for (const s of [inbound, outbound]) {
        this.#sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => this.#sockets.delete(s));
      }
      inbound.pipe(outbound).pipe(inbound);
    });
    await new Promise<void>((resolve) => srv.listen(this.port, '127.0.0.1', resolve));
    this.port = (srv.address() as { port: number }).port;
    this.#server = srv;
  }
  async down(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    const srv = this.#server;
    this.#server = undefined;
    if (srv !== undefined) await new Promise<void>((resolve) => srv.close(() => resolve()));
  }
}

describe('LDAP login through sigil (browser-equivalent), groups, refresh re-checks the directory', () => {
  let admin: LdapClient;
  let s: TestSigil;
  let jwks: ReturnType<typeof createLocalJWKSet>;
  const ldap = new Switch(Number(new URL(inject('ldapsUrl')).port));

  async function addUser(uid: string): Promise<void> {
    await admin.add(userDn(uid), {
      objectClass: 'inetOrgPerson',
      uid,
      cn: `E2E ${uid}`,
      sn: uid,
      mail: `${uid}@example.org`,
      userPassword: `${uid}-pw`,
    });
  }

  beforeAll(async () => {
    admin = await adminClient();
    await deleteTree(admin, PEOPLE);
    await deleteTree(admin, GROUPS);
    await admin.add(PEOPLE, { objectClass: 'organizationalUnit', ou: 'TestE2E' });
    await admin.add(GROUPS, { objectClass: 'organizationalUnit', ou: 'TestE2E' });
    for (const uid of ['e-alice', 'e-bob', 'e-carol']) await addUser(uid);
    await admin.add(`cn=e2e-platform,${GROUPS}`, {
      objectClass: 'groupOfNames',
      cn: 'e2e-platform',
      member: [userDn('e-alice'), userDn('e-bob'), userDn('e-carol')],
    });
    await admin.add(`cn=e2e-devs,${GROUPS}`, {
      objectClass: 'groupOfNames',
      cn: 'e2e-devs',
      member: [userDn('e-alice'), userDn('e-carol')],
    });
    // nested: e2e-devs ∈ e2e-engineering
    await admin.add(`cn=e2e-engineering,${GROUPS}`, {
      objectClass: 'groupOfNames',
      cn: 'e2e-engineering',
      member: [`cn=e2e-devs,${GROUPS}`],
    });
    await ldap.up();
    s = await startTestSigil('postgres', {
      enablePasswordDB: false,
      staticPasswords: [],
      connectors: [
        slapdConnector(
          { peopleDN: PEOPLE, idAttr: 'entryUUID' },
          {
            host: `127.0.0.1:${ldap.port}`,
            usernamePrompt: 'Corporate username',
            connectTimeout: '1s',
            timeout: '3s',
            groupSearch: {
              baseDN: GROUPS,
              filter: '(objectClass=groupOfNames)',
              userMatchers: [{ userAttr: 'DN', groupAttr: 'member', recursionGroupAttr: 'member' }],
              nameAttr: 'cn',
            },
          },
        ),
      ],
    });
    jwks = createLocalJWKSet((await s.client().get('/jwks')).json<JSONWebKeySet>());
  });
  afterAll(async () => {
    await s.close();
    await ldap.down();
    await deleteTree(admin, PEOPLE);
    await deleteTree(admin, GROUPS);
    await admin.unbind();
  });

  async function login(uid: string) {
    return withRefreshToken(
      await loginTokens(s.client(), {
        clientId: 'kubectl',
        redirectUri: REDIRECT,
        scope: 'openid email profile groups',
        username: uid,
        password: `${uid}-pw`,
      }),
    );
  }
  const refresh = (rt: string) =>
    s
      .client()
      .post('/token', { grant_type: 'refresh_token', refresh_token: rt, client_id: 'kubectl' });

  it("shows the connector's username prompt and logs in: groups include direct and nested ones, sub is the entryUUID", async () => {
    const browser = s.client();
    const page = await follow(
      browser,
      await browser.get(authPath({ clientId: 'kubectl', redirectUri: REDIRECT })),
    );
    expect(page.text).toContain('Corporate username');
    const t = await login('e-alice');
    const { payload } = await jwtVerify(t.id_token, jwks, {
      issuer: s.issuer,
      audience: 'kubectl',
    });
    const uuid = (
      await admin.search(userDn('e-alice'), { scope: 'base', attributes: ['entryUUID'] })
    ).searchEntries[0]!['entryUUID'];
    expect(payload.sub).toBe(uuid);
    expect(payload['preferred_username']).toBe('e-alice');
    expect(payload['email']).toBe('e-alice@example.org');
    expect(payload['groups']).toEqual(['e2e-devs', 'e2e-engineering', 'e2e-platform']);
  });

  it('shows changed groups on refresh and refuses a deleted user with invalid_grant', async () => {
    const t = await login('e-bob');
    const { sub, groups } = (await jwtVerify(t.id_token, jwks)).payload;
    expect(groups).toEqual(['e2e-platform']);
    const stored = async () =>
      (
        await s.server.db.query<{ claims: { groups: string[] }; updated_at: Date }>(
          'SELECT claims, updated_at FROM identities WHERE sub = $1',
          [sub!],
        )
      ).rows[0]!;
    // A refresh that finds the person unchanged leaves the stored identity alone.
    const before = await stored();
    const same = await refresh(t.refresh_token);
    expect(same.status, same.text).toBe(200);
    expect(+(await stored()).updated_at).toBe(+before.updated_at);
    const rt = same.json<{ refresh_token?: string }>().refresh_token ?? t.refresh_token;
    await admin.modify(
      `cn=e2e-devs,${GROUPS}`,
      new Change({
        operation: 'add',
        modification: new Attribute({ type: 'member', values: [userDn('e-bob')] }),
      }),
    );
    const r = await refresh(rt);
    expect(r.status, r.text).toBe(200);
    const next = r.json<{ id_token: string; refresh_token?: string }>();
    expect((await jwtVerify(next.id_token, jwks)).payload['groups']).toEqual([
      'e2e-devs',
      'e2e-engineering',
      'e2e-platform',
    ]);
    // A changed one is written: the next findAccount (userinfo, a later refresh) sees it.
    const after = await stored();
    expect(after.claims.groups).toEqual(['e2e-devs', 'e2e-engineering', 'e2e-platform']);
    expect(+after.updated_at).toBeGreaterThan(+before.updated_at);
    await admin.del(userDn('e-bob'));
    const gone = await refresh(next.refresh_token ?? rt);
    expect(gone.status).toBe(400);
    expect(gone.json()['error']).toBe('invalid_grant');
    // The id_tokens it already has are refused by the clusters too: a subject deny entry.
    const { rows: denied } = await s.server.db.query<{ kind: string; reason: string }>(
      'SELECT kind, reason FROM login_revocations WHERE sub = $1',
      [sub!],
    );
    expect(denied).toEqual([{ kind: 'subject', reason: 'account_deleted' }]);
  });

  it('answers a login while LDAP is down with a clear 503 page, and a refresh with a retryable 503 that keeps the grant', async () => {
    const t = await login('e-carol');
    await ldap.down();
    try {
      const r = await refresh(t.refresh_token);
      expect(r.status).toBe(503);
      expect(r.json()['error']).toBe('temporarily_unavailable');

      const c = s.client();
      const page = await follow(
        c,
        await c.get(authPath({ clientId: 'kubectl', redirectUri: REDIRECT })),
      );
      expect(hiddenInput(page.text, 'connector')).toBe('corp');
      const down = await submitLogin(c, page, { username: 'e-carol', password: 'e-carol-pw' });
      expect(down.status).toBe(503);
      expect(down.text).toContain('directory cannot be reached');
      expect(down.text).not.toMatch(/at .*\.js:\d+/);
    } finally {
      await ldap.up();
    }
    const again = await refresh(t.refresh_token);
    expect(again.status, again.text).toBe(200);
  });
});
