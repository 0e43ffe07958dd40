import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sigil } from '../../support/cli.js';
import { slapdConnector } from '../../support/ldap-test-ou.js';
import { createTestDatabase } from '../../support/postgres.js';
import { LDAP_FIXTURES } from '../../support/slapd.js';
import { LDAPI, SQLI, TEMPLATE, XSS } from './support.js';

const HASH = '$2a$10$2b2cU8CPhOTaGrs1HRQuAueS7JTT5ZHsHSzYiFPm1leZck7Mc8T4W';

/** Every failure is one readable line (or one per config problem), never a stack trace. */
function expectCleanFailure(
  r: { status: number | null; stdout: string; stderr: string },
  what: string,
) {
  expect(r.status, `${what}: ${r.stderr}`).not.toBe(0);
  expect(r.status, what).not.toBeNull();
  expect(r.stderr, what).not.toMatch(/\n\s+at .+:\d+:\d+/);
  expect(r.stderr.trim(), what).not.toBe('');
}

/** The command line: `sigil audit`, `sigil config check` and `sigil ldap check` with hostile input. */
describe('hostile input: CLI', () => {
  let dir: string;
  let url: string;
  let drop: () => Promise<void>;
  let config: string;

  const file = (name: string, text: string | Buffer) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sigil-hostile-cli-'));
    const db = await createTestDatabase(inject('pgUrl'));
    url = db.url;
    drop = db.drop;
    config = file(
      'sigil.json',
      JSON.stringify({
        issuer: 'https://sigil.example.com',
        storage: { type: 'postgres', config: { url } },
        web: { http: '127.0.0.1:0', proxy: true },
        enablePasswordDB: true,
        staticPasswords: [{ email: 'a@example.com', hash: HASH, username: 'alice', userID: 'a' }],
        staticClients: [{ id: 'kubectl', public: true }],
        connectors: [slapdConnector({ peopleDN: LDAP_FIXTURES.peopleDN })],
      }),
    );
    expect(sigil(['migrate', '--config', config]).status).toBe(0);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(
      `INSERT INTO audit_events (event, outcome, username, client_id, reason) VALUES
         ('login', 'success', 'alice', 'kubectl', NULL), ('login', 'failure', $1, 'kubectl', 'unknown_user')`,
      [XSS],
    );
    await client.end();
  });
  afterAll(async () => {
    await drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sigil audit: injections in filters match nothing; bad values fail in one line', () => {
    for (const user of [SQLI, "alice' OR '1'='1", '%', '_lice', LDAPI, TEMPLATE]) {
      const r = sigil(['audit', '--user', user, '--config', config]);
      expect(r.stderr, user).toBe('');
      expect(r.status, user).toBe(0);
      expect(r.stdout, user).toBe('');
    }
    // A hostile username already in the trail prints as data (quoted), one line.
    const xss = sigil(['audit', '--user', XSS, '--config', config]);
    expect(xss.status).toBe(0);
    expect(xss.stdout.trim().split('\n')).toHaveLength(1);
    expect(xss.stdout).toContain(JSON.stringify(XSS));
    for (const [what, args] of [
      ['since', ['--since', 'last tuesday']],
      ['until', ['--until', SQLI]],
      ['limit 0', ['--limit', '0']],
      ['limit negative', ['--limit', '-5']],
      ['limit huge', ['--limit', '1e99']],
      ['limit text', ['--limit', 'all']],
      ['outcome', ['--outcome', 'maybe']],
      ['unknown option', ['--drop-table']],
      ['missing value', ['--user']],
    ] as const) {
      const r = sigil(['audit', ...args, '--config', config]);
      expectCleanFailure(r, what);
    }
    expectCleanFailure(sigil(['audit']), 'no config');
    expectCleanFailure(sigil(['audit', '--config', join(dir, 'missing.yaml')]), 'missing config');
  }, 240_000);

  it('sigil config check: hostile files fail with readable errors', () => {
    const cases: [string, string | Buffer][] = [
      [
        'alias bomb',
        `a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n`,
      ],
      ['binary', Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x81, 0x0a, 0x00])],
      ['deep nesting', `${'['.repeat(5000)}${']'.repeat(5000)}`],
      ['3 MB', `issuer: https://x.example.com\n#${'x'.repeat(3 * 1024 * 1024)}\n`],
      ['env injection', 'issuer: ${SIGIL_NOPE_UNSET}\n'],
      [
        'file key traversal',
        'issuer: https://x.example.com\nstaticClients:\n  - id: a\n    secretFile: /nonexistent/../../etc/shadow-nope\n',
      ],
      ['prototype pollution', '__proto__:\n  polluted: true\nissuer: https://x.example.com\n'],
      ['not a mapping', '- just\n- a list\n'],
      ['empty', ''],
      ['tabs', 'issuer:\t\thttps://x\n\tweb: 1\n'],
    ];
    for (const [what, text] of cases) {
      const r = sigil(['config', 'check', file(`${what.replace(/\s/g, '-')}.yaml`, text)]);
      expectCleanFailure(r, what);
      expect(r.stderr.length, what).toBeLessThan(5000);
    }
  }, 240_000);

  it('sigil config check --from-dex: hostile Dex files fail with a readable report, exit 1', () => {
    const dex = (extra: string) =>
      `issuer: https://auth.example.com/dex\nweb: { https: 0.0.0.0:5554, tlsCert: c, tlsKey: k }\nstaticClients: [{ id: kubectl, public: true }]\nenablePasswordDB: true\n${extra}`;
    const cases: [string, string | Buffer][] = [
      ['binary', Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x81, 0x0a, 0x00])],
      ['not a mapping', '- just\n- a list\n'],
      ['empty', ''],
      ['prototype keys', dex('__proto__: { grpc: 1 }\nconstructor: { signer: 1 }\n')],
      ['connectors of junk', dex('connectors: [null, 3, "x", [], { type: { a: 1 } }]\n')],
      ['connectors not a list', dex('connectors: { type: ldap }\n')],
      ['storage junk', dex('storage: { type: [sqlite3], config: 7 }\n')],
      ['storage sqlite3', dex('storage: { type: sqlite3, config: { file: /etc/passwd } }\n')],
      [
        'unset $VAR everywhere',
        dex(
          `storage: { type: postgres, config: { host: ${'$NOPE_A'.repeat(2000)}, password: $NOPE_B } }\n`,
        ),
      ],
      ['idEnv junk', dex('staticClients: [{ idEnv: 3, secretEnv: { a: 1 } }]\n')],
      ['issuer traversal', dex('').replace('/dex', '/dex/../admin')],
      ['issuer query', dex('').replace('/dex', '/dex?next=https://evil.example.com')],
      ['grpc and signer', dex('grpc: { addr: 0.0.0.0:5557 }\nsigner: { type: vault }\n')],
      ['mfa junk', dex('mfa: { authenticators: "x", defaultMFAChain: 5 }\n')],
      ['oauth2 junk', dex('oauth2: { grantTypes: 5, responseTypes: { a: 1 }, pkce: 3 }\n')],
    ];
    for (const [what, text] of cases) {
      const f = file(`dex-${what.replace(/\W/g, '-')}.yaml`, text);
      const r = sigil(['config', 'check', '--from-dex', f]);
      expectCleanFailure(r, what);
      expect(r.status, what).toBe(1);
      expect(`${r.stdout}${r.stderr}`, what).not.toMatch(/Invalid input|discriminator|\n\s+at /);
      expect(r.stdout.length + r.stderr.length, what).toBeLessThan(20_000);
    }
  }, 240_000);

  it('sigil ldap check: filter injection is a refused lookup, not a crash', () => {
    for (const user of [LDAPI, '*', 'alice)(|(objectClass=*)', '\\00']) {
      const r = sigil(['ldap', 'check', '--user', user, '--config', config]);
      expect(r.stderr, user).not.toMatch(/\n\s+at .+:\d+:\d+/);
      expect([0, 2], `${user}: ${r.stdout}${r.stderr}`).toContain(r.status);
      expect(r.stdout, user).toMatch(/user: no entry|user: more than one/);
    }
  }, 120_000);

  it('sigil sessions: hostile ids, users and limits fail in one line or match nothing', () => {
    for (const id of [SQLI, XSS, 'A'.repeat(23), '../../etc/passwd', 'AAAAAAAAAAAAAAAAAAAAAA']) {
      const r = sigil(['sessions', 'revoke', id, '--config', config]);
      expectCleanFailure(r, `revoke ${id}`);
      expect(
        r.stderr.split('\n').filter((l) => l !== ''),
        id,
      ).toHaveLength(1);
    }
    for (const user of [SQLI, LDAPI, XSS, '%', '_']) {
      const revoke = sigil(['sessions', 'revoke', '--user', user, '--config', config]);
      expectCleanFailure(revoke, `revoke --user ${user}`);
      expect(revoke.stderr).toContain('never seen');
      const list = sigil(['sessions', 'list', '--user', user, '--json', '--config', config]);
      expect(list.status, list.stderr).toBe(0);
      expect(JSON.parse(list.stdout)).toEqual([]);
    }
    expectCleanFailure(sigil(['sessions', 'revoke', '--config', config]), 'nothing named');
    expectCleanFailure(
      sigil([
        'sessions',
        'revoke',
        'AAAAAAAAAAAAAAAAAAAAAA',
        '--user',
        'alice',
        '--config',
        config,
      ]),
      'both an id and a user',
    );
    expectCleanFailure(
      sigil(['sessions', 'revoke', '--user', 'alice', '--reason', XSS, '--config', config]),
      'hostile reason',
    );
    for (const limit of ['0', '-1', '1e9', 'many', '99999999999'])
      expectCleanFailure(
        sigil(['sessions', 'list', '--limit', limit, '--config', config]),
        `--limit ${limit}`,
      );
  }, 120_000);

  it('unknown commands fail with usage, not a stack trace', () => {
    expectCleanFailure(sigil(['frobnicate']), 'unknown command');
    expectCleanFailure(sigil([XSS]), 'markup as a command');
  });
});
