import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countingDb } from '../../support/counting-db.js';
import { createTestOu, type TestOu } from '../../support/ldap-test-ou.js';
import {
  kubeloginTokens,
  refreshGrant,
  withRefreshToken,
  type Tokens,
} from '../../support/oidc-flow.js';
import { KUBECTL_CLIENT, startTestSigil, type TestSigil } from '../../support/sigil.js';

// Round trips per operation, counted on real PostgreSQL through a counting Db (a count, not a
// time). Issue 18's targets: at most 4 statements per refresh (7 before, 4 with the read-ahead,
// 2 with oidc-provider's writes of a request sent as one statement) and 12 per login flow (22
// before; 18 with MFA and sessions merged; 11 now: GET /auth 1, login page 1, login form 4,
// resume 2, code exchange 3; bench/README.md lists them). Exact counts, so a change shows.
const USER = { username: 'sql-count', password: 'sql-count-pw' };

describe('SQL statements per operation (PostgreSQL)', () => {
  let s: TestSigil;
  let ou: TestOu;
  const counter = countingDb();

  beforeAll(async () => {
    ou = await createTestOu('TestSqlCount', [
      { uid: USER.username, name: 'Sql Count', password: USER.password, groups: ['team'] },
    ]);
    s = await startTestSigil(
      'postgres',
      {
        enablePasswordDB: false,
        staticPasswords: [],
        staticClients: [KUBECTL_CLIENT],
        connectors: [ou.connector()],
      },
      { wrapDb: (db) => counter.wrap(db) },
    );
  });
  afterAll(async () => {
    await s.close();
    await ou.cleanup();
  });

  const show = (list: string[]) =>
    list.map((x, i) => `${String(i + 1)}. ${x.slice(0, 140)}`).join('\n');
  // Periodic batches that may fall into any window on a slow machine: the audit rows (one
  // INSERT per second for everything recorded in it) and the sessions' coalesced last use.
  const periodic = (x: string) =>
    x.startsWith('INSERT INTO audit_events') || x.startsWith('UPDATE login_sessions s');
  /** The request's own statements; the periodic ones must be batches, never a row inline. */
  const own = (list: string[]) => {
    const batches = list.filter(periodic);
    expect(
      batches.filter((x) => x.includes('audit_events') && !x.includes('jsonb_to_recordset')),
    ).toEqual([]);
    return list.filter((x) => !periodic(x));
  };

  it('a login flow (authorize, login form, code exchange) takes 11 statements', async () => {
    // A first login warms what is done once per process (shared secrets, the client's grant).
    await kubeloginTokens(s.client(), USER);
    counter.reset();
    const tokens = await kubeloginTokens(s.client(), USER);
    expect(tokens.id_token).toEqual(expect.any(String));
    const list = own(counter.statements());
    expect(list.length, show(list)).toBe(11);
    // Read once per request: no identity read of its own, the throttle row not deleted
    // when there was none, the audit rows written later in a batch.
    expect(list.filter((x) => x.startsWith('SELECT sub, connector_id'))).toEqual([]);
    expect(list.filter((x) => x.startsWith('DELETE FROM login_throttle'))).toEqual([]);
    // The login's identity write also tells that the person has no second factor.
    expect(list.filter((x) => x.includes('FROM mfa_factors WHERE sub'))).toEqual([]);
    // The identity is read along with the interaction at the resume (MFA policy included).
    expect(list.filter((x) => x.includes('FROM identities t WHERE'))).toEqual([]);
    // oidc-provider's writes of one answer go as one statement: the resume's interaction
    // destroy, session, grant and code; the code exchange's consume and two tokens.
    const written = list.filter((x) => x.startsWith('WITH w0 AS'));
    expect(written.map((x) => x.match(/\bw\d+ AS \(/g)?.length)).toEqual([3, 2]);
  });

  it('a refresh grant takes 2 statements: one read (token, grant, identity), one write (consume, two inserts)', async () => {
    const c = s.client();
    let t: Tokens = withRefreshToken(await kubeloginTokens(c, USER));
    // The second refresh of a chain is the steady state kubectl sees.
    for (let i = 0; i < 2; i++) {
      counter.reset();
      const r = await refreshGrant(c, t.refresh_token ?? '');
      expect(r.status, r.text).toBe(200);
      t = r.json<Tokens>();
    }
    const list = own(counter.statements());
    expect(list.length, show(list)).toBe(2);
    expect(list[0], show(list)).toMatch(/^SELECT/);
    // The consume and the two new tokens: one statement, all stored or none.
    expect(list[1], show(list)).toMatch(
      /^WITH w0 AS \(UPDATE oidc_payload .* w1 AS \(INSERT .* INSERT INTO oidc_payload/,
    );
  });
});
