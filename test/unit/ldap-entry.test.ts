import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  formatGuid,
  idSearchValues,
  parseGuid,
  stableId,
  strings,
} from '../../src/connectors/ldap/entry.js';

describe('ldap entry values', () => {
  // {3F2504E0-4F89-11D3-9A0C-0305E82C3301} as AD stores it (first three groups little-endian).
  const guidBytes = Buffer.from('e004253f894fd3119a0c0305e82c3301', 'hex');

  it('formats and parses objectGUID in Microsoft byte order', () => {
    expect(formatGuid(guidBytes)).toBe('3f2504e0-4f89-11d3-9a0c-0305e82c3301');
    expect(parseGuid('3F2504E0-4F89-11D3-9A0C-0305E82C3301')).toEqual(guidBytes);
    expect(parseGuid('not-a-guid')).toBeUndefined();
    expect(() => formatGuid(Buffer.alloc(3))).toThrow();
  });

  it('derives sub from idAttr: GUID, printable text as is, other bytes base64url, never the DN', () => {
    expect(stableId({ dn: 'x', objectGUID: guidBytes }, 'objectGUID')).toBe(
      '3f2504e0-4f89-11d3-9a0c-0305e82c3301',
    );
    const uuid = Buffer.from('bb992628-7f69-1041-9740-7382b5779b51');
    expect(stableId({ dn: 'x', entryUUID: uuid }, 'entryUUID')).toBe(
      'bb992628-7f69-1041-9740-7382b5779b51',
    );
    expect(stableId({ dn: 'x', entryuuid: uuid }, 'entryUUID')).toBe(
      'bb992628-7f69-1041-9740-7382b5779b51',
    );
    const sid = Buffer.from('010500000000000515000000a065cf7e784b9b5fe77c8770', 'hex');
    expect(stableId({ dn: 'x', objectSid: sid }, 'objectSid')).toBe(sid.toString('base64url'));
    expect(stableId({ dn: 'uid=a,dc=x' }, 'DN')).toBeUndefined();
    expect(stableId({ dn: 'x' }, 'entryUUID')).toBeUndefined();
  });

  it('finds binary ids again by their bytes', () => {
    expect(idSearchValues('objectGUID', '3f2504e0-4f89-11d3-9a0c-0305e82c3301')).toEqual([
      guidBytes,
    ]);
    const bytes = randomBytes(16);
    bytes[0] = 0xff; // never valid UTF-8
    const id = stableId({ dn: 'x', objectSid: bytes }, 'objectSid')!;
    expect(idSearchValues('objectSid', id)).toEqual([id, bytes]);
    expect(idSearchValues('entryUUID', 'bb992628-7f69-1041-9740-7382b5779b51')).toEqual([
      'bb992628-7f69-1041-9740-7382b5779b51',
    ]);
  });

  it('reads attributes case-insensitively and DN as the entry DN', () => {
    const entry = { dn: 'uid=a,dc=x', Mail: ['a@x', 'b@x'], cn: 'A' };
    expect(strings(entry, 'mail')).toEqual(['a@x', 'b@x']);
    expect(strings(entry, 'DN')).toEqual(['uid=a,dc=x']);
    expect(strings(entry, 'missing')).toEqual([]);
  });
});
