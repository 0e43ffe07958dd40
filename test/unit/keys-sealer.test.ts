import { describe, expect, it } from 'vitest';
import { isAppError } from '../../src/errors.js';
import { createSealer, isSealed, PLAINTEXT_SEALER, sealerFor } from '../../src/keys/index.js';

const SECRET = 'correct horse battery staple, but longer';
const JWK = JSON.stringify({ kty: 'RSA', d: 'private-exponent', n: 'modulus' });

describe('key sealer (AES-256-GCM at rest)', () => {
  const sealer = createSealer(SECRET);

  it('round-trips, and the sealed form carries none of the plaintext', () => {
    const sealed = sealer.seal(JWK, 'kid-1');
    expect(isSealed(sealed)).toBe(true);
    expect(sealed).not.toContain('private-exponent');
    expect(sealer.open(sealed, 'kid-1')).toBe(JWK);
    expect(sealer.enabled).toBe(true);
  });

  it('uses a fresh salt and IV every time', () => {
    expect(sealer.seal(JWK, 'kid-1')).not.toBe(sealer.seal(JWK, 'kid-1'));
  });

  it.each([
    [
      'another secret',
      (s: string) => createSealer('another secret of enough length').open(s, 'kid-1'),
    ],
    ['another key id (the kid is authenticated)', (s: string) => sealer.open(s, 'kid-2')],
    [
      'a flipped ciphertext bit',
      (s: string) => {
        const parts = s.split('.');
        const ct = Buffer.from(parts[3]!, 'base64url');
        ct[0] = ct[0]! ^ 1;
        parts[3] = ct.toString('base64url');
        return sealer.open(parts.join('.'), 'kid-1');
      },
    ],
    ['a truncated value', (s: string) => sealer.open(s.split('.').slice(0, 4).join('.'), 'kid-1')],
    ['plaintext posing as sealed', () => sealer.open(JWK, 'kid-1')],
  ])('refuses to open with %s', (_name, open) => {
    const sealed = sealer.seal(JWK, 'kid-1');
    let caught: unknown;
    try {
      open(sealed);
    } catch (err) {
      caught = err;
    }
    expect(isAppError(caught, 'KEYS_UNAVAILABLE')).toBe(true);
    expect((caught as Error).message).not.toContain('private-exponent');
  });

  it('without a secret, keys stay plaintext', () => {
    expect(sealerFor(undefined)).toBe(PLAINTEXT_SEALER);
    expect(sealerFor('')).toBe(PLAINTEXT_SEALER);
    expect(sealerFor(SECRET).enabled).toBe(true);
    expect(PLAINTEXT_SEALER.seal(JWK, 'k')).toBe(JWK);
  });
});
