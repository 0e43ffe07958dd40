import { makeServerCertificates } from '../../test/support/openssl.js';

export interface BenchTls {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/**
 * A throwaway CA and an RSA-2048 server certificate for 127.0.0.1 / localhost, shared by slapd
 * (ldaps), sigil and the bare oidc-provider, so every peer pays the same TLS costs.
 */
export function makeTls(dir: string): BenchTls {
  const { ca, cert, key } = makeServerCertificates(dir, { caSubject: 'sigil bench CA', days: 90 });
  return { caFile: ca, certFile: cert, keyFile: key };
}
