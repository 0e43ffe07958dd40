import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { flushAllAudit } from '../../support/sigil.js';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRevocations, revocationPolicy } from '../../../src/security/index.js';
import { createPgDb, type Db } from '../../../src/storage/index.js';
import { generateCa, generateLeaf } from '../../../src/tls/cert-generator.js';
import { authenticationConfigurationSchema } from '../../support/authentication-config-schema.js';
import { ROOT, sigilAsync } from '../../support/cli.js';
import { runAsync } from '../../support/process.js';
import { kubeloginTokens } from '../../support/oidc-flow.js';
import { createTestDatabase } from '../../support/postgres.js';
import { ALICE, KUBECTL_CLIENT, startTestSigil, type TestSigil } from '../../support/sigil.js';
import { CRLF, INJECTIONS, LONG, NUL, SQLI } from './support.js';

/**
 * GET /api/v1/clusters/{name}/authentication-config and `sigil kube sync` with hostile input:
 * wrong, missing and borrowed credentials, unknown and hostile cluster names, a sigil that
 * answers garbage or another issuer, a directory the agent cannot write. Answers are RFC 9457
 * problems (never a 500), the command fails with one line and leaves the old file untouched.
 */
const PROD = 'prod-secret-0123456789abcdef0123456789';
const STAGING = 'staging-secret-0123456789abcdef01234567';
const PATH = '/api/v1/clusters/prod/authentication-config';
const MAIN = join(ROOT, 'dist', 'main.js');

function expectProblem(
  r: { status: number; headers: Record<string, unknown>; text: string },
  status: number,
) {
  expect(r.status, r.text.slice(0, 300)).toBe(status);
  expect(String(r.headers['content-type'])).toContain('application/problem+json');
  const p = JSON.parse(r.text) as { type: string; status: number };
  expect(p.type).toMatch(/^urn:sigil:problem:[a-z-]+$/);
  expect(p.status).toBe(status);
  expect(r.text).not.toContain(PROD);
  expect(r.text).not.toMatch(/\n\s+at .+:\d+:\d+/);
}

function expectCleanFailure(r: { status: number | null; stderr: string }, what: string) {
  expect(r.status, `${what}: ${r.stderr}`).not.toBe(0);
  expect(r.status, what).not.toBeNull();
  expect(r.stderr, what).not.toMatch(/\n\s+at .+:\d+:\d+/);
  expect(
    r.stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('sigil:')),
    what,
  ).toHaveLength(1);
}

describe('hostile input: the clusters sync endpoint and sigil kube sync', () => {
  let s: TestSigil;
  let db: Db;
  let drop: () => Promise<void>;
  let dir: string;
  const get = (path: string, headers: Record<string, string> = {}) => s.client().get(path, headers);

  beforeAll(async () => {
    const database = await createTestDatabase(inject('pgUrl'), 'sigil_hostile_sync');
    drop = database.drop;
    s = await startTestSigil(
      'postgres',
      {
        staticClients: [KUBECTL_CLIENT],
        clusters: [
          { name: 'prod', server: 'https://api.prod:6443', clientID: 'kubectl', syncSecret: PROD },
          {
            name: 'staging',
            server: 'https://api.stg:6443',
            clientID: 'kubectl',
            syncSecret: STAGING,
          },
          { name: 'nosync', server: 'https://api.ns:6443', clientID: 'kubectl' },
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
    dir = await mkdtemp(join(tmpdir(), 'sigil-hostile-sync-'));
    await writeFile(join(dir, 'ca.pem'), s.ca);
    await writeFile(join(dir, 'prod.secret'), `${PROD}\n`);
  });
  afterAll(async () => {
    await db.close();
    await s.close();
    await drop();
    await rm(dir, { recursive: true, force: true });
  });

  describe('the endpoint', () => {
    it('serves the cluster its own configuration, with hostile subjects escaped, and audits it', async () => {
      await createRevocations({ policy: revocationPolicy(s.config) }).revokeSubject(
        db,
        `${SQLI}'")|| true || ('\\`,
        { reason: 'test', actor: { kind: 'operator', id: 'test' } },
      );
      const r = await get(PATH, { authorization: `Bearer ${PROD}` });
      expect(r.status, r.text.slice(0, 300)).toBe(200);
      const body = r.json<{
        cluster: string;
        authenticationConfiguration: unknown;
        summary: { entries: number };
      }>();
      expect(body.cluster).toBe('prod');
      expect(body.summary.entries).toBe(1);
      const config = authenticationConfigurationSchema.parse(body.authenticationConfiguration);
      expect(config.jwt[0]?.claimValidationRules?.at(-1)?.message).toMatch(/revoked by sigil/);
      const yaml = await get(PATH, { authorization: `Bearer ${PROD}`, accept: 'application/yaml' });
      expect(authenticationConfigurationSchema.parse(parse(yaml.text))).toEqual(config);
      const unchanged = await get(PATH, {
        authorization: `Bearer ${PROD}`,
        'if-none-match': String(r.headers['etag']),
      });
      expect(unchanged.status).toBe(304);
      await flushAllAudit();
      const { rows } = await db.query<{ details: { cluster: string; entries: number } }>(
        `SELECT details FROM audit_events WHERE event = 'cluster.config.served'`,
      );
      expect(rows.map((x) => x.details)).toContainEqual(
        expect.objectContaining({ cluster: 'prod', entries: 1 }),
      );
    });

    it.each([
      ['no credential', {}, 401],
      ['an empty bearer', { authorization: 'Bearer ' }, 401],
      ['a wrong secret', { authorization: `Bearer ${PROD}x` }, 401],
      ["another cluster's secret", { authorization: `Bearer ${STAGING}` }, 401],
      [
        'the secret as Basic',
        { authorization: `Basic ${Buffer.from(`prod:${PROD}`).toString('base64')}` },
        401,
      ],
      ['an oversized bearer', { authorization: `Bearer ${LONG.slice(0, 8000)}` }, 401],
    ])('refuses %s with a problem and serves nothing', async (_what, headers, status) => {
      const r = await get(PATH, headers);
      expectProblem(r, status);
      expect(r.text).not.toContain('AuthenticationConfiguration');
    });

    it("refuses a person's access token (a credential, not this cluster's) with 403", async () => {
      const t = await kubeloginTokens(s.client(), ALICE);
      expectProblem(await get(PATH, { authorization: `Bearer ${t.access_token}` }), 403);
    });

    it('answers 404 for a cluster that does not exist, and for one without a sync secret a 401', async () => {
      expectProblem(
        await get('/api/v1/clusters/nope/authentication-config', {
          authorization: `Bearer ${PROD}`,
        }),
        401,
      );
      expectProblem(await get('/api/v1/clusters/nope/authentication-config'), 404);
      expectProblem(
        await get('/api/v1/clusters/nosync/authentication-config', {
          authorization: `Bearer ${PROD}`,
        }),
        401,
      );
    });

    it.each(INJECTIONS.filter((x) => x !== NUL && x !== CRLF && !x.includes('\ud800')))(
      'answers a hostile cluster name %j with a 404 problem',
      async (name) => {
        expectProblem(
          await get(`/api/v1/clusters/${encodeURIComponent(name)}/authentication-config`),
          404,
        );
      },
    );

    it.each(['%ED%A0%80', '%E0%A4%A', '%00', '..%2F..%2Fetc'])(
      'answers a malformed name %s with a problem, never a 500',
      async (raw) => {
        const r = await get(`/api/v1/clusters/${raw}/authentication-config`);
        expect(r.status).toBeGreaterThanOrEqual(400);
        expect(r.status).toBeLessThan(500);
        expectProblem(r, r.status);
      },
    );

    it('refuses other methods with a problem', async () => {
      const r = await s.client().post(PATH, {}, { authorization: `Bearer ${PROD}` });
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
      expect(String(r.headers['content-type'])).toContain('application/problem+json');
    });
  });

  describe('sigil kube sync', () => {
    const args = (out: string, extra: string[] = []) => [
      'kube',
      'sync',
      '--cluster',
      'prod',
      '--server',
      s.issuer,
      '--secret-file',
      join(dir, 'prod.secret'),
      '--ca',
      join(dir, 'ca.pem'),
      '--out',
      out,
      '--once',
      ...extra,
    ];

    it('writes the file once (0600), and leaves it alone when nothing changed', async () => {
      const out = join(dir, 'ok.yaml');
      expect((await sigilAsync(args(out))).status).toBe(0);
      expect((await stat(out)).mode & 0o777).toBe(0o600);
      authenticationConfigurationSchema.parse(parse(await readFile(out, 'utf8')));
      const before = await stat(out);
      expect((await sigilAsync(args(out))).status).toBe(0);
      expect((await stat(out)).ino).toBe(before.ino);
    });

    it.each([
      ['a directory that does not exist', () => join(dir, 'missing', 'out.yaml')],
      ['a path under a regular file', () => join(dir, 'ca.pem', 'out.yaml')],
    ])('refuses %s with one line and a non-zero exit', async (what, out) => {
      expectCleanFailure(await sigilAsync(args(out())), what);
    });

    it('refuses a directory it cannot write (as an unprivileged user), the old file untouched', async () => {
      const ro = join(dir, 'ro');
      await rm(ro, { recursive: true, force: true });
      await mkdir(ro);
      await writeFile(join(ro, 'out.yaml'), 'old content\n');
      await chmod(ro, 0o555);
      await chmod(dir, 0o755);
      const asNobody = process.getuid?.() === 0;
      const r = asNobody
        ? await runAsync('runuser', [
            '-u',
            'nobody',
            '--',
            process.execPath,
            MAIN,
            ...args(join(ro, 'out.yaml')),
          ]).then((x) => ({ status: x.code, stderr: x.stderr }))
        : await sigilAsync(args(join(ro, 'out.yaml')));
      expectCleanFailure(r, 'read-only directory');
      expect(r.stderr).toMatch(/cannot (write|read)/);
      expect(await readFile(join(ro, 'out.yaml'), 'utf8')).toBe('old content\n');
    });

    it.each([
      ['an http server', ['--server', 'http://127.0.0.1:1']],
      ['a server with credentials', ['--server', 'https://u:p@127.0.0.1:1']],
      ['a hostile cluster name', ['--cluster', "prod' || true"]],
      ['an interval of 0', ['--interval', '0s']],
      ['a nonsense interval', ['--interval', SQLI]],
      ['a missing secret file', ['--secret-file', '{dir}/none']],
      ['a secret file that is not a secret', ['--secret-file', '{dir}/ca.pem']],
      ['bad metrics address', ['--metrics', 'x:99999']],
    ])('fails cleanly on %s', async (what, extra) => {
      const out = join(dir, 'never.yaml');
      const more = extra.map((a) => a.replace('{dir}', dir));
      expectCleanFailure(await sigilAsync([...args(out), ...more]), what);
      await expect(stat(out)).rejects.toThrow();
    });

    it("keeps the old file when the credential is another cluster's", async () => {
      const out = join(dir, 'keep.yaml');
      await writeFile(out, 'apiVersion: keep\n', { mode: 0o600 });
      await writeFile(join(dir, 'staging.secret'), STAGING);
      const r = await sigilAsync([...args(out), '--secret-file', join(dir, 'staging.secret')]);
      expectCleanFailure(r, 'borrowed secret');
      expect(r.stderr).toMatch(/401/);
      expect(await readFile(out, 'utf8')).toBe('apiVersion: keep\n');
    });

    describe('against a sigil that answers wrong', () => {
      let fake: Server;
      let url: string;
      let answer: { status: number; body: string } = { status: 200, body: '' };
      beforeAll(async () => {
        const ca = await generateCa('Fake CA', new Date());
        const leaf = await generateLeaf(ca, ['127.0.0.1'], new Date());
        await writeFile(join(dir, 'fake-ca.pem'), ca.certPem);
        // Stands in for a broken or hijacked sigil: the faults we want cannot come from the real one.
        fake = createServer({ cert: leaf.certPem, key: leaf.keyPem }, (_req, res) => {
          res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
        });
        await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
        url = `https://127.0.0.1:${(fake.address() as { port: number }).port}`;
      });
      afterAll(() => new Promise<void>((r) => fake.close(() => r())));

      const envelope = (over: Record<string, unknown> = {}, issuer = 'https://sigil.example.com') =>
        JSON.stringify({
          apiVersion: 'sigil.dev/v1',
          kind: 'ClusterAuthenticationConfig',
          cluster: 'prod',
          issuer,
          generatedAt: new Date().toISOString(),
          authenticationConfiguration: {
            apiVersion: 'apiserver.config.k8s.io/v1beta1',
            kind: 'AuthenticationConfiguration',
            jwt: [
              {
                issuer: { url: issuer, audiences: ['kubectl'] },
                claimMappings: { username: { claim: 'sub', prefix: '' } },
              },
            ],
          },
          revocations: [],
          summary: { entries: 0, sessions: 0, subjects: 0, windows: 0 },
          ...over,
        });

      it.each([
        ['not JSON', 'this is not json'],
        ['an empty body', ''],
        ['another kind', envelope({ kind: 'Secret' })],
        ['another cluster', envelope({ cluster: 'staging' })],
        [
          'a configuration of another kind',
          envelope({ authenticationConfiguration: { kind: 'Pod', apiVersion: 'v1', jwt: [] } }),
        ],
        [
          'an unknown apiVersion',
          envelope({
            authenticationConfiguration: {
              kind: 'AuthenticationConfiguration',
              apiVersion: 'evil/v9',
              jwt: [],
            },
          }),
        ],
        [
          'no authenticator',
          envelope({
            authenticationConfiguration: {
              kind: 'AuthenticationConfiguration',
              apiVersion: 'apiserver.config.k8s.io/v1beta1',
              jwt: [],
            },
          }),
        ],
        [
          'a malformed deny entry',
          envelope({ revocations: [{ kind: 'subject', keepUntil: 'never' }] }),
        ],
      ])('refuses %s and keeps the last file', async (what, body) => {
        answer = { status: 200, body };
        const out = join(dir, 'last.yaml');
        await writeFile(out, 'last good\n', { mode: 0o600 });
        const r = await sigilAsync([
          ...args(out),
          '--server',
          url,
          '--ca',
          join(dir, 'fake-ca.pem'),
        ]);
        expectCleanFailure(r, what);
        expect(await readFile(out, 'utf8')).toBe('last good\n');
      });

      it('refuses a configuration whose issuer changed from the one in the file', async () => {
        const out = join(dir, 'issuer.yaml');
        answer = { status: 200, body: envelope() };
        const fakeArgs = ['--server', url, '--ca', join(dir, 'fake-ca.pem')];
        expect((await sigilAsync([...args(out), ...fakeArgs])).status).toBe(0);
        const good = await readFile(out, 'utf8');
        answer = { status: 200, body: envelope({}, 'https://evil.example.com') };
        const r = await sigilAsync([...args(out), ...fakeArgs]);
        expectCleanFailure(r, 'changed issuer');
        expect(r.stderr).toMatch(/issuer changed/);
        expect(await readFile(out, 'utf8')).toBe(good);
      });

      it('refuses a server whose certificate the CA did not sign', async () => {
        answer = { status: 200, body: envelope() };
        const out = join(dir, 'tls.yaml');
        expectCleanFailure(await sigilAsync([...args(out), '--server', url]), 'untrusted TLS');
        await expect(stat(out)).rejects.toThrow();
      });
    });
  });
});
