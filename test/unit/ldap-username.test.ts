import { describe, expect, it } from 'vitest';
import { isAcceptableUsername } from '../../src/connectors/ldap/username.js';

describe('usernames sent to the directory', () => {
  it.each([
    ['alice', true],
    ['Jörg Müller', true],
    ['*)(uid=*', true],
    ['a@example.org', true],
    ['x'.repeat(256), true],
    ['x'.repeat(257), false],
    ['', false],
    ['   ', false],
    ['alice\u0000', false],
    ['ali\nce', false],
    ['\u007f', false],
    ['alice\uD800', false],
    ['\uDC00alice', false],
    ['😀', true],
  ])('%j → %s', (username, ok) => {
    expect(isAcceptableUsername(username)).toBe(ok);
  });
});
