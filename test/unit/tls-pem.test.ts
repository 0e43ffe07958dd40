import { describe, expect, it } from 'vitest';
import { isAppError } from '../../src/errors.js';
import { lastCertificateOfChain, readPemCertificates } from '../../src/tls/pem.js';

const block = (body: string, eol = '\n') =>
  `-----BEGIN CERTIFICATE-----${eol}${body}${eol}-----END CERTIFICATE-----`;

describe('readPemCertificates', () => {
  it('returns every certificate block in order, normalised to LF with a final newline', () => {
    const pem = `junk before\n${block('QUFB')}\n${block('QkJC', '\r\n')}\n-----BEGIN PRIVATE KEY-----\nS0VZ\n-----END PRIVATE KEY-----\n${block('Q0ND')}`;
    expect(readPemCertificates(pem)).toEqual([
      `${block('QUFB')}\n`,
      `${block('QkJC')}\n`,
      `${block('Q0ND')}\n`,
    ]);
  });

  it('returns nothing for text without certificates', () => {
    expect(readPemCertificates('')).toEqual([]);
    expect(
      readPemCertificates('-----BEGIN PRIVATE KEY-----\nS0VZ\n-----END PRIVATE KEY-----\n'),
    ).toEqual([]);
  });
});

describe('lastCertificateOfChain', () => {
  it('returns the last certificate of a chain, or the only one', () => {
    expect(lastCertificateOfChain(`${block('TEVBRg==')}\n${block('Uk9PVA==')}\n`)).toBe(
      `${block('Uk9PVA==')}\n`,
    );
    expect(lastCertificateOfChain(block('T05F'))).toBe(`${block('T05F')}\n`);
  });

  it('throws TLS_INVALID when there is no certificate', () => {
    expect(() => lastCertificateOfChain('nothing')).toThrow(/no PEM certificate/);
    try {
      lastCertificateOfChain('nothing');
    } catch (err) {
      expect(isAppError(err, 'TLS_INVALID')).toBe(true);
    }
  });
});
