import { BerWriter, EqualityFilter } from 'ldapts';
import { describe, expect, it } from 'vitest';
import {
  groupMemberAnyFilter,
  nestedGroupFilter,
  userByIdFilter,
  userByNameFilter,
} from '../../src/connectors/ldap/filters.js';
import { parseAdminFilter } from '../../src/config/index.js';

const ber = (f: { write(w: BerWriter): void }) => {
  const w = new BerWriter();
  f.write(w);
  return w.buffer;
};

describe('ldap filters', () => {
  it.each(['*', '*)(uid=*', 'admin)(|(uid=*', 'a\\2a', 'back\\slash', 'Jörg (Müller)'])(
    'puts the username %j into the filter as one literal value, escaped exactly once',
    (username) => {
      const base = parseAdminFilter('(objectClass=person)', 'userSearch.filter');
      const filter = userByNameFilter(base, 'uid', username);
      // On the wire the value is the username byte for byte (BER needs no escaping)...
      expect(ber(filter).includes(Buffer.from(username, 'utf8'))).toBe(true);
      expect(ber(filter)).toEqual(ber(userByNameFilter(base, 'uid', username)));
      // ...and in text form the metacharacters are escaped once, never twice.
      const text = filter.toString();
      expect(text.startsWith('(&(objectClass=person)(uid=')).toBe(true);
      expect(text).not.toContain('\\5c2a)(');
      expect((text.match(/\(/g) ?? []).length).toBe(3);
    },
  );

  it('escapes a backslash once: the value a\\2a is not the value *', () => {
    const literal = userByNameFilter(undefined, 'uid', 'a\\2a');
    expect(literal.toString()).toBe('(uid=a\\5c2a)');
    expect(ber(literal)).not.toEqual(ber(new EqualityFilter({ attribute: 'uid', value: 'a*' })));
  });

  it('searches binary ids by their bytes', () => {
    const guid = Buffer.from('e004253f894fd3119a0c0305e82c3301', 'hex');
    expect(ber(userByIdFilter(undefined, 'objectGUID', guid)).includes(guid)).toBe(true);
  });

  it('builds one OR query per level of recursion and the AD in-chain filter', () => {
    expect(groupMemberAnyFilter(undefined, 'member', ['cn=a', 'cn=b']).toString()).toBe(
      '(|(member=cn=a)(member=cn=b))',
    );
    expect(groupMemberAnyFilter(undefined, 'member', ['cn=a']).toString()).toBe('(member=cn=a)');
    expect(
      nestedGroupFilter(
        parseAdminFilter('(objectClass=group)', 'f'),
        'member',
        'CN=Jo\\, Smith,DC=corp',
      ).toString(),
    ).toBe('(&(objectClass=group)(member:1.2.840.113556.1.4.1941:=CN=Jo\\5c, Smith,DC=corp))');
  });

  it.each(['(&(objectClass=person)', '(objectClass=person', '(a=b)(c=d)', '((a=b)', '(=b)', '(&)'])(
    'refuses the administrator filter %j with CONFIG_INVALID naming the key',
    (text) => {
      expect(() => parseAdminFilter(text, 'userSearch.filter')).toThrow(
        expect.objectContaining({
          code: 'CONFIG_INVALID',
          message: expect.stringContaining('userSearch.filter') as unknown,
        }),
      );
    },
  );

  it('accepts a filter without outer parentheses and escaped parentheses in values', () => {
    expect(parseAdminFilter('objectClass=person', 'f').toString()).toBe('(objectClass=person)');
    expect(parseAdminFilter('(cn=a\\28b\\29)', 'f').toString()).toBe('(cn=a\\28b\\29)');
  });
});
