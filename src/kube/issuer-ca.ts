import { X509Certificate } from 'node:crypto';
import { resolve } from 'node:path';
import { AppError } from '../errors.js';
import { lastCertificateOfChain, readPemCertificates } from '../tls/index.js';

/** The CA a verifier of sigil's issuer URL must trust (kube-apiserver, kubelogin). */
export interface IssuerCa {
  /** PEM text: one or more certificates. */
  readonly pem: string;
  /** `tlsCA`: the file `web.tlsCA`; `tlsCert`: the last certificate of the `web.tlsCert` chain. */
  readonly source: 'tlsCA' | 'tlsCert';
  /** Absolute path of `web.tlsCA`, when the CA comes from it. */
  readonly file?: string;
  /**
   * True when clients cannot be expected to trust the CA already: `web.tlsCA` is set, or the
   * chain ends in a self-signed certificate. A chain that ends in an intermediate is taken to
   * chain to a public root, which kubelogin trusts without being told (and pinning an
   * intermediate in laptops' kubeconfigs breaks them when the CA rotates it).
   */
  readonly private: boolean;
}

export interface IssuerTlsSettings {
  readonly tlsCA?: string | undefined;
  readonly tlsCert?: string | undefined;
}

function selfSigned(pem: string): boolean {
  try {
    const cert = new X509Certificate(pem);
    return cert.checkIssued(cert) && cert.verify(cert.publicKey);
  } catch {
    return false;
  }
}

/**
 * The CA of sigil's serving certificate: `web.tlsCA` when set, else the last certificate of
 * the `web.tlsCert` chain, else undefined (TLS ends at a proxy: verifiers use system roots).
 * `read` reads a file (injected so this stays free of I/O).
 */
export function resolveIssuerCa(
  web: IssuerTlsSettings,
  read: (file: string) => string,
): IssuerCa | undefined {
  if (web.tlsCA !== undefined) {
    const file = resolve(web.tlsCA);
    const certs = readPemCertificates(read(file));
    if (certs.length === 0)
      throw new AppError('TLS_INVALID', `web.tlsCA ${web.tlsCA} holds no PEM certificate`);
    return { pem: certs.join(''), source: 'tlsCA', file, private: true };
  }
  if (web.tlsCert !== undefined) {
    const pem = lastCertificateOfChain(read(resolve(web.tlsCert)));
    return { pem, source: 'tlsCert', private: selfSigned(pem) };
  }
  return undefined;
}
