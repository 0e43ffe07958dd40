import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureDevTls, readPemCertificates } from '../../../src/tls/index.js';

const run = promisify(execFile);
const DAY_MS = 86_400_000;

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'sigil-devtls-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function load(file: string): Promise<X509Certificate[]> {
  return readPemCertificates(await readFile(file, 'utf8')).map((pem) => new X509Certificate(pem));
}

describe('ensureDevTls', () => {
  it('generates a CA and a localhost server certificate that Node accepts', async () => {
    const tls = await ensureDevTls(dataDir);
    expect(tls.created).toBe(true);
    expect(tls.caFile).toBe(join(dataDir, 'tls', 'ca.crt'));
    const [ca] = await load(tls.caFile);
    const chain = await load(tls.certFile);
    const [leaf] = chain;
    if (ca === undefined || leaf === undefined) throw new Error('missing certificate');

    expect(ca.ca).toBe(true);
    expect(ca.subject).toMatch(/^CN=sigil development CA \(.+\)$/);
    expect(ca.keyUsage).toBeUndefined(); // Node lists extKeyUsage here; the CA has none
    expect(Date.parse(ca.validTo) - Date.now()).toBeGreaterThan(9 * 365 * DAY_MS);

    expect(leaf.ca).toBe(false);
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.checkHost('localhost')).toBe('localhost');
    expect(leaf.checkHost('example.com')).toBeUndefined();
    expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(leaf.checkIP('::1')).toBeDefined();
    expect(leaf.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    const days = (Date.parse(leaf.validTo) - Date.now()) / DAY_MS;
    expect(days).toBeGreaterThan(360);
    expect(days).toBeLessThan(400);
    expect(leaf.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    // server.crt is the chain: leaf, then the CA.
    expect(chain).toHaveLength(2);
    expect(chain[1]?.fingerprint256).toBe(ca.fingerprint256);

    expect((await stat(tls.keyFile)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dataDir, 'tls', 'ca.key'))).mode & 0o777).toBe(0o600);
  });

  it('passes `openssl verify` with the extensions a strict verifier expects', async () => {
    const tls = await ensureDevTls(dataDir);
    const leafFile = join(dataDir, 'leaf.pem');
    const [leafPem] = readPemCertificates(await readFile(tls.certFile, 'utf8'));
    await writeFile(leafFile, leafPem ?? '');
    const verified = await run('openssl', [
      'verify',
      '-x509_strict',
      '-purpose',
      'sslserver',
      '-CAfile',
      tls.caFile,
      leafFile,
    ]);
    expect(verified.stdout).toContain(': OK');

    const caText = (await run('openssl', ['x509', '-in', tls.caFile, '-noout', '-text'])).stdout;
    expect(caText).toMatch(/Basic Constraints: critical\s+CA:TRUE/);
    expect(caText).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign/);
    expect(caText).toContain('Subject Key Identifier');
    expect(caText).toContain('ecdsa-with-SHA256');

    const leafText = (await run('openssl', ['x509', '-in', leafFile, '-noout', '-text'])).stdout;
    expect(leafText).toMatch(/Key Usage: critical\s+Digital Signature/);
    expect(leafText).toMatch(/Extended Key Usage:\s+TLS Web Server Authentication/);
    expect(leafText).toMatch(/DNS:localhost, IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1/);
    expect(leafText).toContain('Authority Key Identifier');
    const ski = /Subject Key Identifier:\s+([0-9A-F:]+)/.exec(caText)?.[1];
    expect(ski).toBeDefined();
    expect(leafText).toContain(ski ?? 'no ski');
    // Serial: positive, at most 20 octets (RFC 5280 4.1.2.2; Go rejects negative serials).
    const serial = (
      await run('openssl', ['x509', '-in', leafFile, '-noout', '-serial'])
    ).stdout.trim();
    expect(serial).toMatch(/^serial=[4-7][0-9A-F]{31}$/);
  });

  it('serves a TLS handshake that a client trusting only ca.crt accepts', async () => {
    const tls = await ensureDevTls(dataDir);
    const server: Server = createServer(
      { cert: await readFile(tls.certFile), key: await readFile(tls.keyFile) },
      (_req, res) => res.end('hello'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const ca = await readFile(tls.caFile);
    try {
      for (const host of ['localhost', '127.0.0.1']) {
        const body = await new Promise<string>((resolve, reject) => {
          const req = request(
            {
              host: '127.0.0.1',
              servername: host === 'localhost' ? host : '',
              port,
              ca,
              path: '/',
              headers: { host },
            },
            (res) => {
              let text = '';
              res.on('data', (c: Buffer) => (text += c.toString()));
              res.on('end', () => resolve(text));
            },
          );
          req.on('error', reject);
          req.end();
        });
        expect(body).toBe('hello');
      }
      // A client that does not trust the CA refuses the same server.
      await expect(
        new Promise((resolve, reject) => {
          const req = request({ host: '127.0.0.1', port, path: '/' }, resolve);
          req.on('error', reject);
          req.end();
        }),
      ).rejects.toThrow(/self-signed|unable to verify|local issuer/i);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("passes Go's crypto/tls handshake (kube-apiserver's verifier)", async () => {
    const tls = await ensureDevTls(dataDir);
    const server: Server = createServer(
      { cert: await readFile(tls.certFile), key: await readFile(tls.keyFile) },
      (_req, res) => res.end('ok'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const program = join(dataDir, 'dial.go');
    await writeFile(program, GO_DIAL);
    const env = {
      ...process.env,
      GOCACHE: join(tmpdir(), 'sigil-go-cache'),
      GO111MODULE: 'off',
      GOFLAGS: '',
    };
    try {
      for (const name of ['localhost', '127.0.0.1']) {
        const out = await run(
          'go',
          ['run', program, tls.caFile, `127.0.0.1:${String(port)}`, name],
          { env, timeout: 120_000 },
        );
        expect(out.stdout.trim()).toBe(`verified ${name}`);
      }
      // The same program refuses a name the certificate does not cover: the check can fail.
      await expect(
        run('go', ['run', program, tls.caFile, `127.0.0.1:${String(port)}`, 'example.com'], {
          env,
        }),
      ).rejects.toThrow(/certificate is valid for|not example\.com/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }, 180_000);

  it('reuses the files on the next start', async () => {
    const first = await ensureDevTls(dataDir);
    const before = await Promise.all(
      [first.caFile, first.certFile, first.keyFile].map((f) => readFile(f, 'utf8')),
    );
    const second = await ensureDevTls(dataDir);
    expect(second.created).toBe(false);
    const after = await Promise.all(
      [second.caFile, second.certFile, second.keyFile].map((f) => readFile(f, 'utf8')),
    );
    expect(after).toEqual(before);
  });

  it('renews only the server certificate when it nears its end, keeping the CA', async () => {
    const first = await ensureDevTls(dataDir);
    const caBefore = await readFile(first.caFile, 'utf8');
    const [leafBefore] = await load(first.certFile);
    // 300 days later nothing needs renewing.
    expect(
      (await ensureDevTls(dataDir, undefined, { now: new Date(Date.now() + 300 * DAY_MS) }))
        .created,
    ).toBe(false);
    // 360 days later the 365-day leaf has under 7 days left.
    const later = await ensureDevTls(dataDir, undefined, {
      now: new Date(Date.now() + 360 * DAY_MS),
    });
    expect(later.created).toBe(true);
    expect(await readFile(later.caFile, 'utf8')).toBe(caBefore);
    const [leafAfter] = await load(later.certFile);
    const [ca] = await load(later.caFile);
    expect(leafAfter?.serialNumber).not.toBe(leafBefore?.serialNumber);
    if (ca === undefined) throw new Error('no CA');
    expect(leafAfter?.checkIssued(ca)).toBe(true);
  });

  it('renews the server certificate when the hostnames change', async () => {
    await ensureDevTls(dataDir);
    const caBefore = await readFile(join(dataDir, 'tls', 'ca.crt'), 'utf8');
    const tls = await ensureDevTls(dataDir, ['localhost', 'sigil.test', '127.0.0.1', '10.1.2.3']);
    expect(tls.created).toBe(true);
    expect(await readFile(tls.caFile, 'utf8')).toBe(caBefore);
    const [leaf] = await load(tls.certFile);
    expect(leaf?.checkHost('sigil.test')).toBe('sigil.test');
    expect(leaf?.checkIP('10.1.2.3')).toBe('10.1.2.3');
    expect(leaf?.checkIP('::1')).toBeUndefined();
  });

  it('replaces a damaged CA, and the server certificate with it', async () => {
    const first = await ensureDevTls(dataDir);
    const [leafBefore] = await load(first.certFile);
    await writeFile(join(dataDir, 'tls', 'ca.key'), 'garbage');
    const tls = await ensureDevTls(dataDir);
    expect(tls.created).toBe(true);
    const [ca] = await load(tls.caFile);
    const [leaf] = await load(tls.certFile);
    if (ca === undefined || leaf === undefined) throw new Error('missing certificate');
    expect(leaf.serialNumber).not.toBe(leafBefore?.serialNumber);
    expect(leaf.verify(ca.publicKey)).toBe(true);
  });
});

/** Dials with Go's crypto/tls, trusting only the CA file, as kube-apiserver does for --oidc-ca-file. */
const GO_DIAL = `package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

func main() {
	pem, err := os.ReadFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		panic("no CA certificate")
	}
	conn, err := tls.Dial("tcp", os.Args[2], &tls.Config{RootCAs: pool, ServerName: os.Args[3], MinVersion: tls.VersionTLS12})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	conn.Close()
	fmt.Println("verified " + os.Args[3])
}
`;
