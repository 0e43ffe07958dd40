import * as argon2 from '@node-rs/argon2';
import bcrypt from 'bcryptjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { StaticPasswordConfig } from '../../src/config/schema.js';
import { isAppError } from '../../src/errors.js';
import { createStaticConnector, hashPassword } from '../../src/connectors/static/index.js';
import { validateHash, validateStaticUsers } from '../../src/config/index.js';
import { dummyHashLike } from '../../src/connectors/static/hash.js';

/** Dex's documented example: the bcrypt hash of "password". */
const DEX_EXAMPLE_HASH = '$2a$10$2b2cU8CPhOTaGrs1HRQuAueS7JTT5ZHsHSzYiFPm1leZck7Mc8T4W';
const scopes = { groups: true, offlineAccess: false };

let users: StaticPasswordConfig[];
beforeAll(async () => {
  users = [
    {
      email: 'admin@example.com',
      hash: DEX_EXAMPLE_HASH,
      username: 'admin',
      userID: '08a8684b-db88-4b73-90a9-3cd1661f5466',
      groups: ['admins', 'dev'],
    },
    {
      email: 'Jane.Doe@Example.com',
      hash: await hashPassword('correct horse', 'bcrypt'),
      username: 'jane',
      userID: 'u-jane',
      name: 'Jane Doe',
      groups: [],
    },
    {
      email: 'argon@example.com',
      hash: await hashPassword('argon pass', 'argon2id'),
      username: 'argon',
      userID: 'u-argon',
      groups: ['dev'],
    },
    // Dex's legacy form: the bcrypt hash base64-encoded.
    {
      email: 'legacy@example.com',
      hash: Buffer.from(await bcrypt.hash('old style', 4)).toString('base64'),
      username: 'legacy',
      userID: 'u-legacy',
      groups: [],
    },
  ];
});

describe('static connector login', () => {
  it.each([
    ['the Dex example bcrypt hash, by email', 'admin@example.com', 'password', 'admin'],
    ['by username', 'admin', 'password', 'admin'],
    ['email in another case', 'JANE.DOE@example.COM', 'correct horse', 'jane'],
    ['a generated bcrypt hash', 'jane', 'correct horse', 'jane'],
    ['an argon2id hash', 'argon@example.com', 'argon pass', 'argon'],
    ['a base64-encoded bcrypt hash (Dex legacy)', 'legacy', 'old style', 'legacy'],
  ])('accepts %s', async (_name, login, password, username) => {
    const result = await createStaticConnector(users).login(scopes, login, password);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.identity.username).toBe(username);
  });

  it.each([
    ['a wrong bcrypt password', 'admin', 'Password', 'bad_password'],
    ['a wrong argon2id password', 'argon', 'argon pass ', 'bad_password'],
    ['an empty password', 'admin', '', 'empty_password'],
    ['an unknown user', 'nobody@example.com', 'password', 'unknown_user'],
    ['a username in another case (usernames are exact)', 'ADMIN', 'password', 'unknown_user'],
    ['an empty username', '', 'password', 'unknown_user'],
  ])('refuses %s', async (_name, login, password, reason) => {
    expect(await createStaticConnector(users).login(scopes, login, password)).toEqual({
      ok: false,
      reason,
    });
  });

  it('returns the configured identity', async () => {
    const c = createStaticConnector(users);
    expect(await c.login(scopes, 'admin', 'password')).toEqual({
      ok: true,
      identity: {
        userId: '08a8684b-db88-4b73-90a9-3cd1661f5466',
        username: 'admin',
        preferredUsername: 'admin',
        email: 'admin@example.com',
        emailVerified: true,
        groups: ['admins', 'dev'],
      },
    });
    const jane = await c.login(scopes, 'jane', 'correct horse');
    expect(jane.ok && jane.identity.name).toBe('Jane Doe');
    expect(jane.ok && jane.identity.email).toBe('Jane.Doe@Example.com');
    expect(jane.ok && 'connectorData' in jane.identity).toBe(false);
  });

  it('has Dex-like defaults and takes an id and name', () => {
    const c = createStaticConnector(users);
    expect([c.id, c.name, c.type, c.usernamePrompt]).toEqual([
      'local',
      'Email',
      'local',
      'Email address or username',
    ]);
    const d = createStaticConnector(users, { id: 'people', name: 'Local accounts' });
    expect([d.id, d.name]).toEqual(['people', 'Local accounts']);
  });

  it('refuses an empty password before any hashing', async () => {
    const c = createStaticConnector(users);
    const start = performance.now();
    for (let i = 0; i < 20; i++) await c.login(scopes, 'admin', '');
    expect(performance.now() - start).toBeLessThan(50); // one bcrypt-10 check alone takes ~70 ms
  });

  it('spends as long on an unknown user as on a wrong password', async () => {
    const c = createStaticConnector([users[0]!]); // bcrypt cost 10
    await c.login(scopes, 'ghost', 'x'); // first call makes the dummy hash
    const time = async (login: string): Promise<number> => {
      const runs: number[] = [];
      for (let i = 0; i < 5; i++) {
        const start = performance.now();
        await c.login(scopes, login, 'wrong password');
        runs.push(performance.now() - start);
      }
      return runs.sort((a, b) => a - b)[2]!;
    };
    const wrong = await time('admin');
    const unknown = await time('ghost@example.com');
    expect(wrong).toBeGreaterThan(10);
    expect(unknown).toBeGreaterThan(wrong * 0.3); // without the dummy check it is ~0
    expect(unknown).toBeLessThan(wrong * 3);
  });
});

describe('static connector refresh', () => {
  it('returns the current identity, and refuses a user removed from the config', async () => {
    const first = await createStaticConnector(users).login(scopes, 'admin', 'password');
    if (!first.ok) throw new Error('login failed');
    // The config changes: admin's groups change, jane is removed.
    const changed = users
      .filter((u) => u.username !== 'jane')
      .map((u) => (u.username === 'admin' ? { ...u, groups: ['viewers'] } : u));
    const c = createStaticConnector(changed);
    const refreshed = await c.refresh(scopes, first.identity);
    expect(refreshed.ok && refreshed.identity.groups).toEqual(['viewers']);
    const jane = await createStaticConnector(users).login(scopes, 'jane', 'correct horse');
    if (!jane.ok) throw new Error('login failed');
    expect(await c.refresh(scopes, jane.identity)).toEqual({ ok: false, reason: 'deleted' });
  });
});

describe('hashes', () => {
  it('hashPassword makes bcrypt cost 10 and argon2id hashes that verify', async () => {
    const b = await hashPassword('s3cret');
    expect(b).toMatch(/^\$2b\$10\$/);
    expect(await bcrypt.compare('s3cret', b)).toBe(true);
    const a = await hashPassword('s3cret', 'argon2id');
    expect(a).toMatch(/^\$argon2id\$v=19\$/);
    expect(await argon2.verify(a, 's3cret')).toBe(true);
    expect(validateHash(a)).toBeUndefined();
    await expect(hashPassword('')).rejects.toThrow(/empty/);
  });

  it('the dummy hash has the algorithm and cost of the configured hashes', async () => {
    expect(bcrypt.getRounds(await dummyHashLike('$2y$04$' + 'a'.repeat(53)))).toBe(4);
    expect(bcrypt.getRounds(await dummyHashLike(undefined))).toBe(10);
    const like = await argon2.hash('x', {
      algorithm: 2,
      memoryCost: 8192,
      timeCost: 3,
      parallelism: 2,
    });
    const dummy = await dummyHashLike(like);
    expect(argon2.parseOptions(dummy)).toEqual(argon2.parseOptions(like));
    expect(dummy).not.toBe(like);
  });

  it.each([
    [DEX_EXAMPLE_HASH, undefined],
    [DEX_EXAMPLE_HASH.replace('$2a$', '$2y$'), undefined],
    [Buffer.from(DEX_EXAMPLE_HASH).toString('base64'), undefined],
    [
      '$argon2id$v=19$m=19456,t=2,p=1$dQtFtmGe+s/5zn4tyr4XQg$hfK6lmJtCxDjHC89gNO9BtMUrMg6Ag8yhDTfu8Hd6L4',
      undefined,
    ],
    ['password', 'not a bcrypt'],
    ['', 'not a bcrypt'],
    [DEX_EXAMPLE_HASH.slice(0, -1), 'malformed bcrypt'],
    [DEX_EXAMPLE_HASH.replace('$10$', '$03$'), 'outside 4-31'],
    [DEX_EXAMPLE_HASH.replace('$2a$', '$2x$'), 'unsupported bcrypt variant'],
    [
      '$argon2i$v=19$m=19456,t=2,p=1$dQtFtmGe+s/5zn4tyr4XQg$hfK6lmJtCxDjHC89gNO9BtMUrMg6Ag8yhDTfu8Hd6L4',
      'use argon2id',
    ],
    ['$argon2id$v=19$m=19456,t=2$abc$def', 'malformed argon2id'],
    ['$argon2id$v=19$m=19456,t=2,p=1$zzz$y', 'does not decode'],
    [Buffer.from('not a hash').toString('base64'), 'not a bcrypt'],
  ])('validateHash(%j)', (hash, problem) => {
    const result = validateHash(hash);
    if (problem === undefined) expect(result).toBeUndefined();
    else expect(result).toContain(problem);
  });

  it('validateStaticUsers reports bad hashes and duplicates with their paths; the connector refuses them', () => {
    const bad: StaticPasswordConfig[] = [
      { email: 'a@example.com', hash: DEX_EXAMPLE_HASH, username: 'a', userID: '1', groups: [] },
      { email: 'A@EXAMPLE.COM', hash: 'plaintext', username: 'b', userID: '1', groups: [] },
    ];
    expect(validateStaticUsers(bad)).toEqual([
      {
        path: 'staticPasswords[1].hash',
        message: expect.stringContaining('not a bcrypt') as string,
      },
      { path: 'staticPasswords[1].email', message: 'same email as staticPasswords[0]' },
      { path: 'staticPasswords[1].userID', message: 'same userID as staticPasswords[0]' },
    ]);
    let caught: unknown;
    try {
      createStaticConnector(bad);
    } catch (err) {
      caught = err;
    }
    expect(isAppError(caught, 'CONFIG_INVALID')).toBe(true);
    expect(String(caught)).not.toContain('plaintext');
  });
});
