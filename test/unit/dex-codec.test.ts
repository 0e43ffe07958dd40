import { describe, expect, it } from 'vitest';
import { parseDexTime } from '../../src/dex/index.js';
import {
  decodeDexRefreshToken,
  dexSubject,
  encodeDexRefreshToken,
  parseDexSubject,
} from '../../src/lib/index.js';

/** Dex's `sub` and refresh token strings (dexidp/dex server/internal), checked against Dex's own values. */
describe("Dex's protobuf strings", () => {
  it("computes the subs Dex's tests and docs show", () => {
    // server/oauth2_test.go TestGetSubject at v2.45.1
    expect(dexSubject('foo', 'bar')).toBe('CgNmb28SA2Jhcg');
    // README.md at v2.45.1: a GitHub user
    expect(dexSubject('2342749', 'github')).toBe('CgcyMzQyNzQ5EgZnaXRodWI');
    // The static password user of Dex's example config (connector `local`)
    expect(dexSubject('08a8684b-db88-4b73-90a9-3cd1661f5466', 'local')).toBe(
      'CiQwOGE4Njg0Yi1kYjg4LTRiNzMtOTBhOS0zY2QxNjYxZjU0NjYSBWxvY2Fs',
    );
  });

  it('encodes lengths past 127 as varints and reads them back', () => {
    const long = 'u'.repeat(300);
    const sub = dexSubject(long, 'ldap');
    // field 1, length 300 = 0xac 0x02
    expect(Buffer.from(sub, 'base64url').subarray(0, 3)).toEqual(Buffer.from([0x0a, 0xac, 0x02]));
    expect(parseDexSubject(sub)).toEqual({ userId: long, connectorId: 'ldap' });
  });

  it('round-trips refresh tokens and refuses what is not one', () => {
    const t = { refreshId: 'test', token: 'bar' };
    expect(decodeDexRefreshToken(encodeDexRefreshToken(t))).toEqual(t);
    for (const bad of [
      '',
      'not base64!',
      'CgNmb28', // no token secret (Dex before 2.10)
      'EgNiYXI', // no id
      'GgNmb28', // field 3
      'CgNmb', // length past the end
      'CgP_____', // invalid UTF-8
      'CgNmb28SA2Jhcg==', // padding
      'A'.repeat(20_000),
    ])
      expect(decodeDexRefreshToken(bad), bad).toBeUndefined();
  });
});

describe('timestamps as Dex stores them', () => {
  it('reads go-sqlite3 text and Dates, and refuses anything else', () => {
    expect(parseDexTime('2026-12-05 08:00:00.123456789+00:00')?.toISOString()).toBe(
      '2026-12-05T08:00:00.123Z',
    );
    expect(parseDexTime('2026-12-05 10:00:00+02:00')?.toISOString()).toBe(
      '2026-12-05T08:00:00.000Z',
    );
    expect(parseDexTime('2026-12-05T08:00:00Z')?.toISOString()).toBe('2026-12-05T08:00:00.000Z');
    expect(parseDexTime(new Date(0))?.getTime()).toBe(0);
    for (const bad of ['yesterday', '', 12345, null, '2026-13-45 99:99:99'])
      expect(parseDexTime(bad), String(bad)).toBeUndefined();
  });
});
