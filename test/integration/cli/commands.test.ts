import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sigil } from '../../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'sigil-cli-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const GOOD = `
issuer: https://sigil.example.com
storage:
  type: postgres
  config:
    url: \${TEST_DB_URL}
web:
  http: 0.0.0.0:5556
  proxy: true
staticClients:
  - id: kubectl
    public: true
enablePasswordDB: true
staticPasswords:
  - email: alice@example.com
    hash: "$2a$10$2b2cU8CPhOTaGrs1HRQuAueS7JTT5ZHsHSzYiFPm1leZck7Mc8T4W"
    username: alice
    userID: 08a8684b-db88-4b73-90a9-3cd1661f5466
`;

describe('sigil config check', () => {
  it('accepts a valid file', () => {
    const r = sigil(['config', 'check', file('good.yaml', GOOD)], {
      env: { TEST_DB_URL: 'postgres://x@127.0.0.1/db' },
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /ok \(issuer https:\/\/sigil.example.com, 1 client\(s\), 1 connector\(s\)\)/,
    );
  });

  it('prints all three mistakes of a file with three, each with its path, and exits non-zero', () => {
    const bad = GOOD.replace('https://sigil.example.com', 'not a url')
      .replace('    public: true', '    public: yes-please')
      .replace('enablePasswordDB: true', 'enablePasswordDB: true\nfrobnicate: 1');
    const r = sigil(['config', 'check', file('bad.yaml', bad)], {
      env: { TEST_DB_URL: 'postgres://x@127.0.0.1/db' },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/3 problems/);
    expect(r.stderr).toMatch(/^ {2}issuer: /m);
    expect(r.stderr).toMatch(/^ {2}staticClients\[0\]\.public: /m);
    expect(r.stderr).toMatch(/^ {2}frobnicate: unknown key/m);
  });

  it('reports a missing ${ENV} reference and a missing *File secret', () => {
    const text = GOOD.replace(
      '    public: true',
      '    secretFile: /nonexistent/secret\n    redirectURIs: [https://a.example/cb]',
    );
    const r = sigil(['config', 'check', file('env.yaml', text)], {
      env: { TEST_DB_URL: undefined },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/storage\.config\.url: environment variable TEST_DB_URL is not set/);
    expect(r.stderr).toMatch(
      /staticClients\[0\]\.secretFile: cannot read \/nonexistent\/secret: ENOENT/,
    );
  });

  it('reports cross-field rules (http issuer, https without a certificate)', () => {
    const text = GOOD.replace('https://sigil.example.com', 'http://sigil.example.com').replace(
      '  http: 0.0.0.0:5556',
      '  https: 0.0.0.0:5554',
    );
    const r = sigil(['config', 'check', file('rules.yaml', text)], {
      env: { TEST_DB_URL: 'postgres://x@127.0.0.1/db' },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/issuer: must be https/);
    expect(r.stderr).toMatch(/web\.https: web\.https needs web\.tlsCert and web\.tlsKey/);
  });

  it('answers unreadable files and YAML syntax errors in one line', () => {
    const missing = sigil(['config', 'check', join(dir, 'nope.yaml')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/cannot read config file .*nope\.yaml: ENOENT/);
    const syntax = sigil(['config', 'check', file('syntax.yaml', 'issuer: [unclosed\n')]);
    expect(syntax.status).toBe(1);
    expect(syntax.stderr).toMatch(/line \d+/);
  });

  it('sigil serve refuses the same bad file with every problem', () => {
    const bad = GOOD.replace('https://sigil.example.com', 'not a url').replace(
      'enablePasswordDB: true',
      'enablePasswordDB: true\nfrobnicate: 1',
    );
    const r = sigil(['serve', '--config', file('bad2.yaml', bad)], {
      env: { TEST_DB_URL: 'postgres://x@127.0.0.1/db' },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/2 problems/);
  });
});

describe('sigil version and usage errors', () => {
  it('prints the version', () => {
    const r = sigil(['version']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^sigil \d+\.\d+\.\d+\n$/);
  });

  it('answers an unknown command or option with an error and a non-zero exit', () => {
    const r = sigil(['frobnicate']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/unknown command|too many arguments/);
    const o = sigil(['config', 'check']);
    expect(o.status).not.toBe(0);
    expect(o.stderr).toMatch(/missing required argument/);
  });
});

describe('sigil migrate', () => {
  it('applies every migration once, then reports the database up to date', async () => {
    const { inject } = await import('vitest');
    const { createTestDatabase } = await import('../../support/postgres.js');
    const db = await createTestDatabase(inject('pgUrl'));
    try {
      const cfg = file('migrate.yaml', GOOD);
      const first = sigil(['migrate', '--config', cfg], { env: { TEST_DB_URL: db.url } });
      expect(first.stderr).toBe('');
      expect(first.status).toBe(0);
      expect(first.stdout).toMatch(/^applied: 0001_init/);
      const second = sigil(['migrate', '--config', cfg], { env: { TEST_DB_URL: db.url } });
      expect(second.status).toBe(0);
      expect(second.stdout).toBe('database is up to date\n');
    } finally {
      await db.drop();
    }
  });

  it('answers an unreachable database with one line and a non-zero exit', () => {
    const r = sigil(['migrate', '--config', file('down.yaml', GOOD)], {
      env: { TEST_DB_URL: 'postgres://postgres@127.0.0.1:1/none' },
    });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/DB_UNAVAILABLE/);
  });
});
