import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { configAsInput } from '../../../src/config/index.js';
import { parseConfig } from '../../../src/config/load.js';
import { adminClient, deleteTree } from '../ldap/support.js';
import { LDAP_FIXTURES } from '../../support/slapd.js';
import { loginTokens } from '../../support/oidc-flow.js';
import { startTestSigil, type TestSigil } from '../../support/sigil.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const COMPOSE = '/usr/bin/docker-compose';
const run = promisify(execFile);

/** `docker-compose config` in `dir` (Debian's Python 1.29 release: no daemon needed). */
async function composeConfig(dir: string, args: string[] = []) {
  try {
    const r = await run(COMPOSE, ['-f', join(dir, 'docker-compose.yml'), 'config', ...args], {
      cwd: dir,
      timeout: 60_000,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

function envFile(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m !== null) out[m[1] ?? ''] = m[2] ?? '';
  }
  return out;
}

/** A minimal LDIF reader: entries separated by blank lines, `attr: value` lines, # comments. */
/** deploy/compose/sigil.yaml as sigil reads it, with the compose file's environment. */
function composeSigilConfig() {
  return parseConfig(
    readFileSync(join(ROOT, 'deploy/compose/sigil.yaml'), 'utf8'),
    'deploy/compose/sigil.yaml',
    envFile(join(ROOT, 'deploy/compose/sigil.env')),
    ROOT,
  );
}

function readLdif(file: string): { dn: string; attrs: Record<string, string[]> }[] {
  return readFileSync(file, 'utf8')
    .split(/\n\s*\n/)
    .map((block) => block.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')))
    .filter((lines) => lines.length > 0)
    .map((lines) => {
      const attrs: Record<string, string[]> = {};
      for (const l of lines) {
        const i = l.indexOf(': ');
        const k = l.slice(0, i);
        attrs[k] = [...(attrs[k] ?? []), l.slice(i + 2)];
      }
      const dn = attrs['dn']?.[0] ?? '';
      delete attrs['dn'];
      return { dn, attrs };
    });
}

describe('docker-compose.yml', () => {
  it('validates with docker-compose config -q (Compose 1.29), and the check can fail', async () => {
    const ok = await composeConfig(ROOT, ['-q']);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);

    const dir = mkdtempSync(join(tmpdir(), 'sigil-compose-'));
    try {
      const text = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
      // An env_file that does not exist: 1.29 refuses it.
      writeFileSync(join(dir, 'docker-compose.yml'), text);
      expect(text).toContain('env_file: deploy/compose/sigil.env');
      const missing = await composeConfig(dir, ['-q']);
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toMatch(/find env file: .*deploy\/compose\/\w+\.env/);
      // A key Compose 1.29 does not know.
      writeFileSync(
        join(dir, 'docker-compose.yml'),
        text
          .replace('  postgres:\n', '  postgres:\n    develop: {}\n')
          .replace(/env_file: .*/g, 'environment: {}'),
      );
      const unknown = await composeConfig(dir, ['-q']);
      expect(unknown.code).not.toBe(0);
      expect(unknown.stderr).toContain('develop');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs PostgreSQL, OpenLDAP seeded from deploy/compose, and sigil built from the Dockerfile against both', async () => {
    const full = parseYaml((await composeConfig(ROOT)).stdout) as {
      services: Record<string, Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any -- compose output
    };
    expect(Object.keys(full.services).sort()).toEqual(['certs', 'openldap', 'postgres', 'sigil']);
    const sigil = full.services['sigil']!;
    expect(sigil['build'].context).toBe(ROOT);
    expect(Object.keys(sigil['depends_on']).sort()).toEqual(['certs', 'openldap', 'postgres']);
    expect(sigil['read_only']).toBe(true);
    expect(full.services['openldap']!['volumes']).toContain(
      `${join(ROOT, 'deploy/compose/ldap')}:/container/service/slapd/assets/config/bootstrap/ldif/custom:ro`,
    );
    expect(sigil['volumes']).toContain(
      `${join(ROOT, 'deploy/compose/sigil.yaml')}:/etc/sigil/config.yaml:ro`,
    );
    // Each service gets its own secrets only.
    expect(Object.keys(sigil['environment']).sort()).toEqual([
      'DATABASE_URL',
      'LDAP_READONLY_USER_PASSWORD',
    ]);
    for (const s of Object.values(full.services))
      expect(s['image'] ?? '', 'pinned image tags').not.toMatch(/:latest$/);
  });

  it("ships a sigil config that sigil accepts, with the compose file's environment", () => {
    const c = composeSigilConfig();
    expect(c.storage?.type).toBe('postgres');
    expect(c.connectors[0]?.config.host).toBe('openldap:389');
    expect(c.telemetry.http).toBe('0.0.0.0:5558');
  });
});

describe('the demo directory and the compose connector work together (against the test slapd)', () => {
  // The seed LDIF is loaded under ou=TestCompose of the test slapd, with the compose config's
  // LDAP connector pointed there: the demo users log in and get their groups.
  const BASE = `ou=TestCompose,${LDAP_FIXTURES.baseDN}`;
  const move = (dn: string) => dn.replace(/,?dc=example,dc=org$/, `,${BASE}`);
  let s: TestSigil;

  beforeAll(async () => {
    const admin = await adminClient();
    try {
      await deleteTree(admin, BASE);
      await admin.add(BASE, { objectClass: 'organizationalUnit', ou: 'TestCompose' });
      for (const e of readLdif(join(ROOT, 'deploy/compose/ldap/50-demo-users.ldif'))) {
        const attrs = { ...e.attrs };
        if (attrs['member'] !== undefined) attrs['member'] = attrs['member'].map(move);
        await admin.add(move(e.dn), attrs);
      }
    } finally {
      await admin.unbind();
    }
    const compose = composeSigilConfig();
    const ldap = configAsInput(compose).connectors![0]!;
    s = await startTestSigil('postgres', {
      enablePasswordDB: false,
      staticPasswords: [],
      connectors: [
        {
          ...ldap,
          config: {
            ...ldap.config,
            host: `127.0.0.1:${new URL(inject('ldapUrl')).port}`,
            bindDN: LDAP_FIXTURES.serviceDN,
            bindPW: LDAP_FIXTURES.servicePassword,
            userSearch: { ...ldap.config.userSearch, baseDN: move(ldap.config.userSearch.baseDN) },
            groupSearch: {
              ...ldap.config.groupSearch!,
              baseDN: move(ldap.config.groupSearch!.baseDN),
            },
          },
        },
      ],
    });
  });
  afterAll(async () => {
    await s.close();
    const admin = await adminClient();
    await deleteTree(admin, BASE);
    await admin.unbind();
  });

  it.each([
    ['alice', ['developers', 'platform-admins', 'viewers']],
    ['carol', ['viewers']],
  ])('%s logs in with the documented demo password and gets her groups', async (user, groups) => {
    const c = s.client();
    const tok = await loginTokens(c, {
      clientId: 'kubectl',
      redirectUri: 'http://127.0.0.1:8000',
      scope: 'openid groups',
      username: user,
      password: `${user}-demo-password`,
    });
    const idToken = tok.id_token;
    const payload = JSON.parse(
      Buffer.from(idToken.split('.')[1] ?? '', 'base64url').toString(),
    ) as {
      groups: string[];
    };
    expect(payload.groups).toEqual(groups);
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const lines = dockerfile.split('\n').filter((l) => !l.startsWith('#'));
  const stages = lines.filter((l) => l.startsWith('FROM '));

  it('is multi-stage on the official Node 22 image and runs node dist/main.js as a non-root user', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:22[\w.-]*$/m);
    const runtime = lines.slice(lines.indexOf(stages.at(-1)!));
    const user =
      runtime
        .find((l) => l.startsWith('USER '))
        ?.slice(5)
        .trim() ?? 'root';
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(runtime).toContain('ENTRYPOINT ["node", "dist/main.js"]');
    expect(runtime.join('\n')).toMatch(/COPY views \.\/views/);
    expect(runtime.join('\n')).toMatch(/COPY migrations \.\/migrations/);
  });

  it('.dockerignore lets in exactly what the Dockerfile copies from the context', () => {
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8');
    const copied = lines
      .filter((l) => l.startsWith('COPY ') && !l.includes('--from='))
      .flatMap((l) => l.slice(5).trim().split(/\s+/).slice(0, -1));
    for (const src of copied) {
      expect(existsSync(join(ROOT, src)), src).toBe(true);
      expect(ignore, src).toMatch(new RegExp(`^!${src.replace('.', '\\.')}(/\\*\\*)?$`, 'm'));
    }
    expect(ignore).toMatch(/^\*\*$/m);
  });
});
