import { decodeJwt } from 'jose';
import { Client as LdapClient } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authPath } from '../../support/auth-request.js';
import {
  follow,
  submitLogin,
  kubeloginTokens,
  refreshGrant,
  withRefreshToken,
  type RefreshableTokens,
  type Tokens,
} from '../../support/oidc-flow.js';
import { pollUntil } from '../../support/poll.js';
import { KUBECTL_CLIENT, startTestSigil, type TestSigil } from '../../support/sigil.js';
import { LDAP_FIXTURES, startSlapd, type Slapd } from '../../support/slapd.js';
import { auditRows } from '../security/support.js';

// outagePolicy {lastKnown}: a slapd of its own, stopped and started again on the same ports.
const PEOPLE = LDAP_FIXTURES.peopleDN;
const GROUPS = LDAP_FIXTURES.groupsDN;
const LAST_KNOWN_SEC = 6;
const user = (uid: string) => ({ username: uid, password: `${uid}-pw` });

describe('directory outage policy lastKnown (slapd stopped and started)', () => {
  let slapd: Slapd;
  let s: TestSigil;
  let admin: LdapClient;

  const groupsOf = (t: Tokens) => decodeJwt(t.id_token)['groups'];

  beforeAll(async () => {
    slapd = await startSlapd();
    admin = new LdapClient({ url: slapd.url });
    await admin.bind(slapd.adminDN, slapd.adminPassword);
    for (const uid of ['o-alice', 'o-bob'])
      await admin.add(`uid=${uid},${PEOPLE}`, {
        objectClass: 'inetOrgPerson',
        uid,
        cn: uid,
        sn: uid,
        userPassword: `${uid}-pw`,
      });
    await admin.add(`cn=o-team,${GROUPS}`, {
      objectClass: 'groupOfNames',
      cn: 'o-team',
      member: [`uid=o-alice,${PEOPLE}`, `uid=o-bob,${PEOPLE}`],
    });
    s = await startTestSigil('postgres', {
      enablePasswordDB: false,
      staticPasswords: [],
      staticClients: [KUBECTL_CLIENT],
      connectors: [
        {
          type: 'ldap',
          id: 'corp',
          name: 'Corporate directory',
          config: {
            host: `127.0.0.1:${new URL(slapd.ldapsUrl).port}`,
            rootCA: slapd.caFile,
            bindDN: LDAP_FIXTURES.serviceDN,
            bindPW: LDAP_FIXTURES.servicePassword,
            connectTimeout: '1s',
            timeout: '2s',
            userSearch: { baseDN: PEOPLE, filter: '(objectClass=inetOrgPerson)', username: 'uid' },
            groupSearch: {
              baseDN: GROUPS,
              filter: '(objectClass=groupOfNames)',
              userMatchers: [{ userAttr: 'DN', groupAttr: 'member' }],
              nameAttr: 'cn',
            },
            outagePolicy: { lastKnown: `${String(LAST_KNOWN_SEC)}s` },
          },
        },
      ],
    });
  });
  afterAll(async () => {
    await s.close();
    await admin.unbind().catch(() => undefined);
    await slapd.stop();
  });

  it('reissues from the last-known identity while down, for lastKnown at most; never for a refused account; logins fail closed; the first refresh after recovery is real', async () => {
    const c = s.client();
    // Bob is refused by the directory before the outage (deleted): remembered.
    const bob = withRefreshToken(await kubeloginTokens(s.client(), user('o-bob')));
    await admin.del(`uid=o-bob,${PEOPLE}`);
    const denied = await refreshGrant(c, bob.refresh_token);
    expect(denied.status, denied.text).toBe(400);
    expect(denied.json<{ error: string }>().error).toBe('invalid_grant');

    let alice: RefreshableTokens = withRefreshToken(
      await kubeloginTokens(s.client(), user('o-alice')),
    );
    const loggedInAt = Date.now();
    expect(groupsOf(alice)).toEqual(['o-team']);
    await slapd.halt();

    // Down: Alice's refresh is answered from what the directory last confirmed.
    const degraded = await refreshGrant(c, alice.refresh_token);
    expect(degraded.status, degraded.text).toBe(200);
    alice = withRefreshToken(degraded.json<Tokens>());
    expect(groupsOf(alice)).toEqual(['o-team']);
    const rows = await auditRows(s.server.db, "event = 'refresh.degraded'");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      outcome: 'success',
      reason: 'directory_down',
      username: 'o-alice',
    });
    expect(rows[0]!.details).toMatchObject({ connector: 'corp', lastKnownSec: LAST_KNOWN_SEC });
    const metrics = await c.get('/metrics');
    expect(metrics.text).toMatch(/sigil_refresh_degraded_total\{connector="corp"\} 1\b/);

    // Bob was refused before the outage: never revived.
    const revived = await refreshGrant(c, bob.refresh_token);
    expect(revived.status, revived.text).toBe(503);
    expect(revived.json<{ error: string }>().error).toBe('temporarily_unavailable');

    // A fresh login fails closed, with a page that says why.
    const fresh = s.client();
    const page = await follow(
      fresh,
      await fresh.get(
        authPath({
          clientId: 'kubectl',
          redirectUri: 'http://127.0.0.1:8000',
          scope: 'openid groups',
          state: 'outage-state',
          nonce: 'outage-nonce',
        }),
      ),
    );
    const login = await submitLogin(fresh, page, user('o-alice'));
    expect(login.status).toBe(503);
    expect(login.text).toContain('The directory cannot be reached right now');

    // Past lastKnown since the last real check: fails closed, the grant kept.
    const closed = await pollUntil(
      async () => {
        const r = await refreshGrant(c, alice.refresh_token);
        if (r.status === 200) alice = withRefreshToken(r.json<Tokens>());
        return r;
      },
      (r) => r.status !== 200,
      { what: 'a refresh refused once lastKnown has passed', timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(Date.now() - loggedInAt).toBeGreaterThanOrEqual(LAST_KNOWN_SEC * 1000 - 500);
    expect(closed.status, closed.text).toBe(503);
    const degradedWhileDown = (await auditRows(s.server.db, "event = 'refresh.degraded'")).length;

    // Back: the next refresh asks the directory (a new group shows at once).
    await slapd.start();
    await admin.unbind().catch(() => undefined);
    admin = new LdapClient({ url: slapd.url });
    await admin.bind(slapd.adminDN, slapd.adminPassword);
    await admin.add(`cn=o-new,${GROUPS}`, {
      objectClass: 'groupOfNames',
      cn: 'o-new',
      member: [`uid=o-alice,${PEOPLE}`],
    });
    const real = await pollUntil(
      () => refreshGrant(c, alice.refresh_token),
      (r) => r.status === 200,
      { what: 'a refresh once slapd is back', timeoutMs: 15_000, intervalMs: 250 },
    );
    expect(groupsOf(real.json<Tokens>())).toEqual(['o-new', 'o-team']);
    // A real check: not one more degraded refresh.
    expect(await auditRows(s.server.db, "event = 'refresh.degraded'")).toHaveLength(
      degradedWhileDown,
    );
  });
});
