import { randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import { loadX509 } from './x509-lib.js';

/**
 * Generates the development CA and its server certificate with @peculiar/x509 over Node's
 * WebCrypto. Both are plain, standard X.509 v3 (ECDSA P-256 / SHA-256, positive 16-byte
 * serials, UTCTime, key identifiers) so that strict verifiers such as Go's crypto/x509 in
 * kube-apiserver accept them.
 */
export interface GeneratedPair {
  readonly certPem: string;
  readonly keyPem: string;
}

const EC_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;
/** Backdated so a client whose clock is a little behind still accepts a fresh certificate. */
const BACKDATE_MS = 3_600_000;
const SERVER_AUTH_OID = '1.3.6.1.5.5.7.3.1';

export const CA_VALIDITY_DAYS = 3650;
export const LEAF_VALIDITY_DAYS = 365;

export async function generateCa(commonName: string, now: Date): Promise<GeneratedPair> {
  const x509 = await loadX509();
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomSerial(),
      name: [{ CN: [commonName] }],
      notBefore: new Date(now.getTime() - BACKDATE_MS),
      notAfter: new Date(now.getTime() + CA_VALIDITY_DAYS * DAY_MS),
      keys,
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, webcrypto),
      ],
    },
    webcrypto,
  );
  return {
    certPem: withNewline(cert.toString('pem')),
    keyPem: await exportKeyPem(keys.privateKey),
  };
}

/** A server certificate for `hostnames` (DNS names and IP addresses), signed by the CA. */
export async function generateLeaf(
  ca: { readonly certPem: string; readonly keyPem: string },
  hostnames: readonly string[],
  now: Date,
): Promise<GeneratedPair> {
  const x509 = await loadX509();
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await webcrypto.subtle.importKey(
    'pkcs8',
    pemToDer(ca.keyPem),
    EC_ALGORITHM,
    false,
    ['sign'],
  );
  const keys = await generateKeys();
  const caKeyId = caCert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  const aki =
    caKeyId === undefined
      ? await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey, false, webcrypto)
      : new x509.AuthorityKeyIdentifierExtension(caKeyId);
  const firstDns = hostnames.find((h) => isIP(h) === 0) ?? hostnames[0] ?? 'localhost';
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerial(),
      subject: [{ CN: [firstDns] }],
      issuer: caCert.subjectName,
      notBefore: new Date(now.getTime() - BACKDATE_MS),
      notAfter: new Date(now.getTime() + LEAF_VALIDITY_DAYS * DAY_MS),
      publicKey: keys.publicKey,
      signingKey: caKey,
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([SERVER_AUTH_OID], false),
        new x509.SubjectAlternativeNameExtension(
          hostnames.map((h) =>
            isIP(h) === 0 ? { type: 'dns' as const, value: h } : { type: 'ip' as const, value: h },
          ),
          false,
        ),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, webcrypto),
        aki,
      ],
    },
    webcrypto,
  );
  return {
    certPem: withNewline(cert.toString('pem')),
    keyPem: await exportKeyPem(keys.privateKey),
  };
}

async function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(EC_ALGORITHM, true, ['sign', 'verify']);
}

async function exportKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

function withNewline(pem: string): string {
  return pem.endsWith('\n') ? pem : `${pem}\n`;
}

function pemToDer(pem: string): Buffer {
  const body = pem.replace(/-----(BEGIN|END) [A-Z ]+-----/g, '').replace(/\s+/g, '');
  return Buffer.from(body, 'base64');
}

/** 16 random bytes, first byte 0x40-0x7f: positive, minimally encoded, never zero. */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x3f) | 0x40;
  return bytes.toString('hex');
}
