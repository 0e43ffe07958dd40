import { AppError } from '../errors.js';

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----\r?\n[\s\S]*?-----END CERTIFICATE-----/g;

/** Every `CERTIFICATE` block of a PEM text, in order, each ending with a newline. */
export function readPemCertificates(pem: string): string[] {
  return [...pem.matchAll(CERTIFICATE_BLOCK)].map((m) => `${m[0].replace(/\r\n/g, '\n')}\n`);
}

/**
 * The last certificate of a chain (leaf first, as TLS servers send them): for a chain that
 * ends with its root, the CA to give kube-apiserver as `--oidc-ca-file`.
 */
export function lastCertificateOfChain(pem: string): string {
  const certs = readPemCertificates(pem);
  const last = certs[certs.length - 1];
  if (last === undefined)
    throw new AppError('TLS_INVALID', 'no PEM certificate found in the given text');
  return last;
}
