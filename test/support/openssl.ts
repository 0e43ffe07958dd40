import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Throwaway certificates made with the openssl command, for the peers that need files (slapd,
 * the bench's servers) and for "a CA that signed nothing here". Used by the tests and the bench.
 */

function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.error !== undefined) throw r.error;
  if (r.status !== 0)
    throw new Error(`openssl ${args.join(' ')} failed (${String(r.status)}): ${r.stderr}`);
}

/** A self-signed RSA-2048 CA (basicConstraints CA:TRUE) at `<dir>/<name>.pem`, key beside it. */
export function makeCa(
  dir: string,
  o: { subject: string; days: number; name?: string },
): { ca: string; caKey: string } {
  const name = o.name ?? 'ca';
  const ca = join(dir, `${name}.pem`);
  const caKey = join(dir, `${name}-key.pem`);
  openssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    caKey,
    '-out',
    ca,
    '-days',
    String(o.days),
    '-subj',
    `/CN=${o.subject}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { ca, caKey };
}

/** A CA and an RSA-2048 server certificate it signs for 127.0.0.1 and localhost, in `dir`. */
export function makeServerCertificates(
  dir: string,
  o: { caSubject: string; days: number },
): { ca: string; cert: string; key: string } {
  const { ca, caKey } = makeCa(dir, { subject: o.caSubject, days: o.days });
  const cert = join(dir, 'server.pem');
  const key = join(dir, 'server-key.pem');
  const csr = join(dir, 'server.csr');
  const ext = join(dir, 'server.ext');
  openssl([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    key,
    '-out',
    csr,
    '-subj',
    '/CN=127.0.0.1',
  ]);
  writeFileSync(
    ext,
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '',
    ].join('\n'),
  );
  openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca,
    '-CAkey',
    caKey,
    '-CAcreateserial',
    '-out',
    cert,
    '-days',
    String(o.days),
    '-sha256',
    '-extfile',
    ext,
  ]);
  return { ca, cert, key };
}
