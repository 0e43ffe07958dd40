import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAppError } from '../../src/errors.js';
import { resolveIssuerCa } from '../../src/kube/index.js';
import { generateCa, generateLeaf } from '../../src/tls/cert-generator.js';

const now = new Date();
const ca = await generateCa('Test CA', now);
const leaf = await generateLeaf(ca, ['localhost'], now);

function reader(files: Record<string, string>) {
  return (file: string) => {
    const text = files[file];
    if (text === undefined) throw new Error(`ENOENT ${file}`);
    return text;
  };
}

describe('resolveIssuerCa', () => {
  it('prefers web.tlsCA and names its absolute path', () => {
    const got = resolveIssuerCa(
      { tlsCA: 'ca.pem', tlsCert: 'cert.pem' },
      reader({ [resolve('ca.pem')]: ca.certPem, [resolve('cert.pem')]: leaf.certPem }),
    );
    expect(got).toEqual({
      pem: ca.certPem,
      source: 'tlsCA',
      file: resolve('ca.pem'),
      private: true,
    });
  });

  it('else takes the last certificate of the tlsCert chain; a self-signed root is private', () => {
    const got = resolveIssuerCa(
      { tlsCert: '/x/chain.pem' },
      reader({ '/x/chain.pem': leaf.certPem + ca.certPem }),
    );
    expect(got).toEqual({ pem: ca.certPem, source: 'tlsCert', private: true });
  });

  it('a chain ending in a certificate that is not self-signed is taken as publicly trusted', () => {
    const got = resolveIssuerCa(
      { tlsCert: '/x/leaf.pem' },
      reader({ '/x/leaf.pem': leaf.certPem }),
    );
    expect(got).toEqual({ pem: leaf.certPem, source: 'tlsCert', private: false });
  });

  it('is undefined when sigil serves no TLS itself', () => {
    expect(resolveIssuerCa({}, reader({}))).toBeUndefined();
  });

  it('refuses a tlsCA file without a certificate', () => {
    try {
      resolveIssuerCa({ tlsCA: '/x/empty.pem' }, reader({ '/x/empty.pem': 'nothing' }));
      expect.unreachable();
    } catch (err) {
      expect(isAppError(err, 'TLS_INVALID')).toBe(true);
    }
  });
});
