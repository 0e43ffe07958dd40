import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { revocationPolicy, createRevocations } from '../../../src/security/index.js';
import { createPgDb, type Db } from '../../../src/storage/index.js';
import { spawnSigil, type Spawned } from '../../support/cli.js';
import { createTestDatabase } from '../../support/postgres.js';
import { kubeloginTokens } from '../../support/oidc-flow.js';
import { pollUntil } from '../../support/poll.js';
import {
  aliceEntry,
  ALICE,
  KUBECTL_CLIENT,
  startTestSigil,
  type TestSigil,
} from '../../support/sigil.js';
import { hashPassword } from '../../../src/connectors/static/index.js';
import { StandInApiServer } from '../../support/stand-in-apiserver.js';

/**
 * End to end, as on a control-plane node: sigil serves the cluster's AuthenticationConfiguration,
 * `sigil kube sync` (the real command, another process) keeps the file, and a stand-in for
 * kube-apiserver (test/support/stand-in-apiserver.ts: none can be obtained here) reloads the
 * file when it changes and checks tokens with its claimValidationRules. Measured: the time from
 * a revocation to the stand-in refusing a token issued before it.
 */
const SYNC_SECRET = 'sync-secret-for-prod-0123456789abcdef';
const INTERVAL_S = 2;
const BOB = {
  username: 'bob',
  email: 'bob@example.com',
  password: 'bob password that is long',
  userID: '7f1c2d3e-0000-4000-8000-00000000b0b0',
};

describe('a revocation reaches the cluster through sigil kube sync', () => {
  let s: TestSigil;
  let db: Db;
  let dir: string;
  let out: string;
  let agent: Spawned;
  let apiserver: StandInApiServer;
  const revocations = () => createRevocations({ policy: revocationPolicy(s.config) });

  let dropDb: () => Promise<void>;
  beforeAll(async () => {
    const database = await createTestDatabase(inject('pgUrl'), 'sigil_revoke_e2e');
    dropDb = database.drop;
    s = await startTestSigil(
      'postgres',
      {
        staticPasswords: [
          await aliceEntry(),
          {
            email: BOB.email,
            hash: await hashPassword(BOB.password),
            username: BOB.username,
            userID: BOB.userID,
            groups: ['developers'],
          },
        ],
        staticClients: [KUBECTL_CLIENT],
        clusters: [
          {
            name: 'prod',
            server: 'https://api.prod.example.com:6443',
            clientID: 'kubectl',
            usernameClaim: 'sub',
            syncSecret: SYNC_SECRET,
          },
        ],
      },
      { databaseUrl: database.url },
    );
    db = createPgDb({
      url: database.url,
      maxConnections: 2,
      connectionTimeoutMs: 5000,
      statementTimeoutMs: 10_000,
    });
    dir = await mkdtemp(join(tmpdir(), 'sigil-kube-sync-'));
    out = join(dir, 'authentication-config.yaml');
    await writeFile(join(dir, 'secret'), `${SYNC_SECRET}\n`, { mode: 0o600 });
    await writeFile(join(dir, 'ca.pem'), s.ca);
    agent = spawnSigil([
      'kube',
      'sync',
      '--cluster',
      'prod',
      '--server',
      s.issuer,
      '--secret-file',
      join(dir, 'secret'),
      '--out',
      out,
      '--ca',
      join(dir, 'ca.pem'),
      '--interval',
      `${INTERVAL_S}s`,
    ]);
    await agent.waitFor(/authentication configuration written/);
    apiserver = new StandInApiServer(out, (await s.client().get('/jwks')).json<JSONWebKeySet>());
    await apiserver.start();
  });
  afterAll(async () => {
    apiserver.stop();
    await agent.stop('SIGTERM');
    await db.close();
    await s.close();
    await dropDb();
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses the revoked person's earlier token within the interval; others and new logins pass", async () => {
    expect((await stat(out)).mode & 0o777).toBe(0o600);
    const alice = await kubeloginTokens(s.client(), ALICE);
    const bob = await kubeloginTokens(s.client(), BOB);
    expect(await apiserver.authenticate(alice.id_token)).toEqual({ ok: true });
    expect(await apiserver.authenticate(bob.id_token)).toEqual({ ok: true });
    // A token's iat has whole seconds: the revocation comes in a later second than the login.
    await new Promise((r) => setTimeout(r, 1100));

    const revokedAt = Date.now();
    await revocations().revokeSubject(db, ALICE.userID, {
      reason: 'offboarded',
      actor: { kind: 'operator', id: 'test' },
    });
    const refused = await pollUntil(
      () => apiserver.authenticate(alice.id_token),
      (v) => !v.ok,
      { what: "alice's earlier token refused", timeoutMs: 30_000, intervalMs: 50 },
    );
    const delayMs = Date.now() - revokedAt;
    // Measured here: the agent's interval at most, plus a fetch and a reload.
    console.log(
      `revocation → refusal by the stand-in API server: ${delayMs} ms (interval ${INTERVAL_S} s)`,
    );
    expect(refused.reason).toMatch(/revoked by sigil/);
    expect(delayMs).toBeLessThan(INTERVAL_S * 1000 + 2000);

    expect(await apiserver.authenticate(bob.id_token)).toEqual({ ok: true });
    await new Promise((r) => setTimeout(r, 1000));
    const aliceAgain = await kubeloginTokens(s.client(), ALICE);
    expect(await apiserver.authenticate(aliceAgain.id_token)).toEqual({ ok: true });
  });

  it("refuses one revoked session (sid) and not the same person's other session", async () => {
    const phone = await kubeloginTokens(s.client(), BOB);
    const laptop = await kubeloginTokens(s.client(), BOB);
    const sid = decodeJwt(phone.id_token)['sid'];
    expect(typeof sid).toBe('string');
    expect(decodeJwt(laptop.id_token)['sid']).not.toBe(sid);
    await revocations().revokeSessions(db, [{ sid: sid as string, sub: BOB.userID }], {
      reason: 'session_ended',
      actor: { kind: 'person', id: BOB.userID },
    });
    await pollUntil(
      () => apiserver.authenticate(phone.id_token),
      (v) => !v.ok,
      { what: "bob's revoked session refused", timeoutMs: 30_000, intervalMs: 50 },
    );
    expect(await apiserver.authenticate(laptop.id_token)).toEqual({ ok: true });
  });

  it('never left a file the API server could not load, and wrote it only on change', async () => {
    expect(apiserver.failures).toEqual([]);
    expect(apiserver.ruleCount).toBeGreaterThanOrEqual(2);
    const before = await stat(out);
    await new Promise((r) => setTimeout(r, INTERVAL_S * 1000 + 500));
    expect((await stat(out)).mtimeMs).toBe(before.mtimeMs);
    expect(await readFile(out, 'utf8')).toContain('revoked by sigil');
    expect(agent.output()).not.toContain(SYNC_SECRET);
  });
});
