import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, scryptSync } from 'node:crypto';
import { AppError } from '../errors.js';
import type { KeySealer } from './keystore.js';

/**
 * Private keys at rest, sealed with AES-256-GCM. The key-encryption secret is stretched once
 * per process with scrypt (it may be a passphrase); every sealed value then gets its own
 * AES key through HKDF with a random salt, and a random 96-bit IV. The key id is the
 * additional authenticated data, so a sealed private key cannot be moved to another row.
 *
 * Sealed form: `sigil-aes256gcm-v1.<salt>.<iv>.<ciphertext>.<tag>` (base64url parts).
 */
const PREFIX = 'sigil-aes256gcm-v1';
const SCRYPT_SALT = 'sigil/signing-keys/v1';
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;

export function isSealed(value: string): boolean {
  return value.startsWith(`${PREFIX}.`);
}

/** A sealer for `secret`; PLAINTEXT (from keystore.ts) when there is none. */
export function createSealer(secret: string): KeySealer {
  const master = scryptSync(secret.normalize('NFC'), SCRYPT_SALT, 32, SCRYPT);
  const keyFor = (salt: Buffer): Buffer =>
    Buffer.from(hkdfSync('sha256', master, salt, 'sigil signing key', 32));
  return {
    enabled: true,
    seal(plaintext, context) {
      const salt = randomBytes(16);
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', keyFor(salt), iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [PREFIX, salt, iv, ct, cipher.getAuthTag()]
        .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
        .join('.');
    },
    open(sealed, context) {
      const parts = sealed.split('.');
      const [prefix, salt, iv, ct, tag] = parts;
      if (
        parts.length !== 5 ||
        prefix !== PREFIX ||
        salt === undefined ||
        iv === undefined ||
        ct === undefined ||
        tag === undefined
      ) {
        throw new AppError('KEYS_UNAVAILABLE', 'a sealed private key is malformed');
      }
      try {
        const decipher = createDecipheriv(
          'aes-256-gcm',
          keyFor(Buffer.from(salt, 'base64url')),
          Buffer.from(iv, 'base64url'),
        );
        decipher.setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([
          decipher.update(Buffer.from(ct, 'base64url')),
          decipher.final(),
        ]).toString('utf8');
      } catch (cause) {
        throw new AppError(
          'KEYS_UNAVAILABLE',
          'a private key cannot be decrypted with the configured key-encryption secret',
          { cause },
        );
      }
    },
  };
}
