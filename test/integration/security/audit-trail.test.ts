import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { hashPassword } from '../../../src/connectors/static/index.js';
import { sigil } from '../../support/cli.js';
import {
  authorize,
  codeGrant,
  exchangeCode,
  KUBECTL,
  LOOPBACK,
  refreshGrant,
  signOut,
  type Tokens,
} from '../../support/oidc-flow.js';
import { createTestDatabase } from '../../support/postgres.js';
import {
  ALICE,
  startTestSigil,
  WEB_BASIC,
  WEB_LOGIN,
  type TestSigil,
} from '../../support/sigil.js';
import { awaitAuditRows, openLogin, submit, users } from './support.js';

/**
 * The audit trail end to end: logins, token issues (grant, client, audience, groups, kid, the
 * id_token's jti), refreshes, a refused refresh, revocation and logout, each with the IP; and
 * `sigil audit --user alice` printing them from another process.
 */
describe('audit trail', () => {
  let s: TestSigil;
  let dbUrl: string;
  let drop: () => Promise<void>;
  let dir: string;
  const seen: { idTokens: string[]; refresh: string[]; codes: string[]; access: string[] } = {
    idTokens: [],
    refresh: [],
    codes: [],
    access: [],
  };

  beforeAll(async () => {
    const db = await createTestDatabase(inject('pgUrl'));
    dbUrl = db.url;
    drop = db.drop;
    s = await startTestSigil(
      'postgres',
      { staticPasswords: await users() },
      { databaseUrl: db.url },
    );
    dir = mkdtempSync(join(tmpdir(), 'sigil-audit-'));
  });
  afterAll(async () => {
    await s.close();
    await drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records kubectl login, code exchange and refresh with client, groups, kid and a unique jti', async () => {
    const c = s.client();
    const a = await authorize(c, {
      clientId: 'kubectl',
      redirectUri: LOOPBACK,
      scope: 'openid email groups',
      username: ALICE.username,
      password: ALICE.password,
    });
    seen.codes.push(a.code);
    const t = await exchangeCode(s.client(), a, { ...KUBECTL, redirectUri: LOOPBACK });
    seen.idTokens.push(t.id_token);
    seen.access.push(t.access_token);
    seen.refresh.push(t.refresh_token!);
    const ref = await refreshGrant(s.client(), t.refresh_token!);
    expect(ref.status, ref.text).toBe(200);
    const r = ref.json<Tokens>();
    seen.idTokens.push(r.id_token);
    seen.access.push(r.access_token);
    if (r.refresh_token !== undefined) seen.refresh.push(r.refresh_token);

    const first = decodeJwt(t.id_token);
    const second = decodeJwt(r.id_token);
    expect(first.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(second.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(second.jti).not.toBe(first.jti);
    const kid = decodeProtectedHeader(t.id_token).kid;

    const rows = await awaitAuditRows(
      s.server.db,
      "event IN ('token.issued', 'token.refreshed')",
      (x) => x.length >= 2,
    );
    const issued = rows.find((x) => x.event === 'token.issued')!;
    expect(issued).toMatchObject({
      outcome: 'success',
      username: 'alice',
      sub: ALICE.userID,
      client_id: 'kubectl',
      ip: '127.0.0.1',
    });
    expect(issued.details).toMatchObject({
      grantType: 'authorization_code',
      audience: 'kubectl',
      groups: ['developers', 'viewers'],
      kid,
      idTokenJti: first.jti,
    });
    expect(typeof issued.details['accessTokenId']).toBe('string');
    expect(typeof issued.details['refreshTokenId']).toBe('string');
    const refreshed = rows.find((x) => x.event === 'token.refreshed')!;
    expect(refreshed.details).toMatchObject({
      grantType: 'refresh_token',
      idTokenJti: second.jti,
      groups: ['developers', 'viewers'],
    });
    expect(refreshed.username).toBe('alice');

    // The code presented a second time: oidc-provider revokes the grant; the trail says why.
    const replay = await codeGrant(s.client(), a, { ...KUBECTL, redirectUri: LOOPBACK });
    expect(replay.status).toBe(400);
    const revokedGrant = await awaitAuditRows(s.server.db, "event = 'grant.revoked'");
    // (oidc-provider revokes before it says whose code it was: the grant id ties it to the issue.)
    expect(revokedGrant[0]).toMatchObject({ reason: 'code_reuse', client_id: 'kubectl' });
    expect(revokedGrant[0]!.details['grantId']).toBe(issued.details['grantId']);

    // A spent refresh token presented again (outside the grace window it would revoke the
    // family; inside it answers): a made-up one is refused and recorded.
    const bogus = await refreshGrant(s.client(), 'not-a-refresh-token');
    expect(bogus.status).toBe(400);
    const denied = await awaitAuditRows(s.server.db, "event = 'token.refresh_denied'");
    expect(denied[0]).toMatchObject({
      outcome: 'denied',
      reason: 'invalid_grant',
      client_id: 'kubectl',
    });
  });

  it('records a confidential client with consent, revocation and logout', async () => {
    const c = s.client();
    const a = await authorize(c, {
      ...WEB_LOGIN,
      username: ALICE.username,
      password: ALICE.password,
      consent: true,
    });
    seen.codes.push(a.code);
    const t = await exchangeCode(s.client(), a, WEB_LOGIN);
    seen.idTokens.push(t.id_token);
    seen.access.push(t.access_token);
    seen.refresh.push(t.refresh_token!);
    const rev = await s
      .client()
      .post(
        '/token/revocation',
        { token: t.refresh_token!, token_type_hint: 'refresh_token' },
        WEB_BASIC,
      );
    expect(rev.status).toBe(200);

    const { done } = await signOut(c);
    expect(done.status).toBe(200);

    const rows = await awaitAuditRows(
      s.server.db,
      "event IN ('token.revoked', 'logout')",
      (x) => x.some((r) => r.event === 'logout') && x.some((r) => r.event === 'token.revoked'),
    );
    const revoked = rows.find((r) => r.event === 'token.revoked')!;
    expect(revoked).toMatchObject({
      outcome: 'success',
      sub: ALICE.userID,
      username: 'alice',
      client_id: 'web',
      reason: 'revocation_request',
    });
    expect(revoked.details['tokenKind']).toBe('RefreshToken');
    const logout = rows.find((r) => r.event === 'logout')!;
    expect(logout).toMatchObject({ outcome: 'success', sub: ALICE.userID, username: 'alice' });
  });

  it('never stores a password, code or token in the trail or the logs', async () => {
    const c = s.client();
    const f = await openLogin(c);
    expect((await submit(c, f, ALICE.username, 'a wrong password 7781')).status).toBe(401);
    await s.server.flushAudit();
    const { rows } = await s.server.db.query<{ j: string }>(
      'SELECT row_to_json(audit_events)::text AS j FROM audit_events',
    );
    const trail = rows.map((r) => r.j).join('\n');
    const logs = s.rawLogs();
    const secrets = [
      ALICE.password,
      'a wrong password 7781',
      WEB_LOGIN.clientSecret,
      ...seen.codes,
      ...seen.refresh,
      ...seen.access,
      ...seen.idTokens,
      ...seen.idTokens.map((x) => x.split('.')[2]!),
    ];
    expect(secrets.length).toBeGreaterThan(10);
    for (const secret of secrets) {
      expect(trail.includes(secret), `trail contains ${secret.slice(0, 6)}…`).toBe(false);
      expect(logs.includes(secret), `logs contain ${secret.slice(0, 6)}…`).toBe(false);
    }
    // Every audit event also has its JSON log line.
    const logged = s.logs.filter((l) => l['msg'] === 'audit');
    expect(logged.length).toBeGreaterThanOrEqual(rows.length);
  });

  it('`sigil audit --user alice` lists her logins, token issues and refreshes with clients and groups', async () => {
    const file = join(dir, 'sigil.yaml');
    writeFileSync(
      file,
      JSON.stringify({
        issuer: 'https://sigil.example.com',
        storage: { type: 'postgres', config: { url: dbUrl } },
        web: { http: '127.0.0.1:0', proxy: true },
        enablePasswordDB: true,
        staticPasswords: [
          {
            email: 'x@example.com',
            hash: await hashPassword('x'),
            username: 'x',
            userID: 'x',
          },
        ],
        staticClients: [{ id: 'kubectl', public: true }],
      }),
    );
    const r = sigil(['audit', '--user', 'alice', '--config', file]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const has = (re: RegExp) => lines.some((l) => re.test(l));
    expect(
      has(
        / login {2}success {2}user=alice {2}client=kubectl {2}ip=127\.0\.0\.1 .*groups=developers,viewers/,
      ),
    ).toBe(true);
    expect(has(/ login {2}failure {2}user=alice {2}client=kubectl .*reason=bad_password/)).toBe(
      true,
    );
    expect(
      has(
        / token\.issued {2}success {2}user=alice {2}client=kubectl .*grantType=authorization_code .*groups=developers,viewers/,
      ),
    ).toBe(true);
    expect(
      has(/ token\.refreshed {2}success {2}user=alice {2}client=kubectl .*grantType=refresh_token/),
    ).toBe(true);
    expect(has(/ token\.issued {2}success {2}user=alice {2}client=web /)).toBe(true);
    expect(has(/ token\.revoked .*client=web/)).toBe(true);
    expect(has(/ logout {2}success {2}user=alice/)).toBe(true);
    expect(lines.every((l) => /^\d{4}-\d\d-\d\dT/.test(l))).toBe(true);
    expect(lines.every((l) => !l.includes('user=bob'))).toBe(true);

    const json = sigil([
      'audit',
      '--user',
      'ALICE',
      '--client',
      'web',
      '--json',
      '--since',
      '1h',
      '--config',
      file,
    ]);
    expect(json.status).toBe(0);
    const events = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e['client_id'] === 'web' && e['username'] === 'alice')).toBe(true);

    // An admin action from the CLI: `sigil keys rotate --now` records who ran it and the key
    // events it caused (the running replica would record its own rotations the same way).
    const rotate = sigil(['keys', 'rotate', '--now', '--config', file]);
    expect(rotate.status, rotate.stderr).toBe(0);
    const admin = sigil(['audit', '--event', 'admin.*', '--config', file]);
    expect(admin.stdout).toMatch(/ admin\.keys\.rotate {2}success {2}user=\S+ .*reason=cli/);
    const keyEvents = sigil(['audit', '--event', 'key.*', '--json', '--config', file]);
    const kinds = keyEvents.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { event: string; reason: string }).event);
    expect(kinds).toEqual(expect.arrayContaining(['key.activated', 'key.retired']));

    const none = sigil(['audit', '--since', '2999-01-01T00:00:00Z', '--config', file]);
    expect(none).toMatchObject({ status: 0, stdout: '' });
    const bad = sigil(['audit', '--since', 'yesterday-ish', '--config', file]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/--since: expected a duration/);
  });
});
