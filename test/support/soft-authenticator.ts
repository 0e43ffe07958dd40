import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';

/**
 * A software WebAuthn authenticator (ES256, attestation "none"): what a security key does,
 * in code, so the hostile tests can answer sigil's challenges with exactly the fault they
 * want (wrong origin, rpID, challenge, type, signature, a counter going back). The browser
 * tests use Chromium's own virtual authenticator instead; this one exists because a real
 * authenticator cannot be made to send a wrong origin.
 */
export interface SoftCredential {
  readonly id: Buffer;
  readonly key: KeyObject;
  readonly publicJwk: { x: string; y: string };
  counter: number;
}

const b64u = (b: Buffer | Uint8Array): string => Buffer.from(b).toString('base64url');
const sha256 = (b: Buffer | string): Buffer => createHash('sha256').update(b).digest();

export function newSoftCredential(): SoftCredential {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  return {
    id: randomBytes(16),
    key: privateKey,
    publicJwk: { x: jwk.x ?? '', y: jwk.y ?? '' },
    counter: 0,
  };
}

function cosePublicKey(c: SoftCredential): Uint8Array {
  return isoCBOR.encode(
    new Map<number, number | Uint8Array>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, Buffer.from(c.publicJwk.x, 'base64url')],
      [-3, Buffer.from(c.publicJwk.y, 'base64url')],
    ]),
  );
}

function authData(rpId: string, flags: number, counter: number, attested?: Buffer): Buffer {
  const count = Buffer.alloc(4);
  count.writeUInt32BE(counter >>> 0);
  return Buffer.concat([sha256(rpId), Buffer.from([flags]), count, attested ?? Buffer.alloc(0)]);
}

export interface Answer {
  readonly challenge: string;
  readonly origin: string;
  readonly rpId: string;
  readonly type?: string;
}

/** A registration response (navigator.credentials.create()) as the browser library posts it. */
export function register(c: SoftCredential, a: Answer): Record<string, unknown> {
  const idLen = Buffer.alloc(2);
  idLen.writeUInt16BE(c.id.length);
  const attested = Buffer.concat([Buffer.alloc(16), idLen, c.id, Buffer.from(cosePublicKey(c))]);
  const data = authData(a.rpId, 0x01 | 0x04 | 0x40, c.counter, attested);
  const attestationObject = isoCBOR.encode(
    new Map<string, unknown>([
      ['fmt', 'none'],
      ['attStmt', new Map()],
      ['authData', new Uint8Array(data)],
    ]) as never,
  );
  const clientData = JSON.stringify({
    type: a.type ?? 'webauthn.create',
    challenge: a.challenge,
    origin: a.origin,
    crossOrigin: false,
  });
  return {
    id: b64u(c.id),
    rawId: b64u(c.id),
    type: 'public-key',
    clientExtensionResults: {},
    response: {
      clientDataJSON: b64u(Buffer.from(clientData)),
      attestationObject: b64u(attestationObject),
      transports: ['usb'],
    },
  };
}

/** An assertion (navigator.credentials.get()); `tamper` flips a signature byte. */
export function assert(
  c: SoftCredential,
  a: Answer & { counter?: number; tamper?: boolean },
): Record<string, unknown> {
  if (a.counter === undefined) c.counter += 1;
  const data = authData(a.rpId, 0x01 | 0x04, a.counter ?? c.counter);
  const clientData = Buffer.from(
    JSON.stringify({
      type: a.type ?? 'webauthn.get',
      challenge: a.challenge,
      origin: a.origin,
      crossOrigin: false,
    }),
  );
  const signature = sign('sha256', Buffer.concat([data, sha256(clientData)]), c.key);
  if (a.tamper === true) signature.writeUInt8((signature.readUInt8(10) ^ 0xff) & 0xff, 10);
  return {
    id: b64u(c.id),
    rawId: b64u(c.id),
    type: 'public-key',
    clientExtensionResults: {},
    response: {
      clientDataJSON: b64u(clientData),
      authenticatorData: b64u(data),
      signature: b64u(signature),
    },
  };
}
