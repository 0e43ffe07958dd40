import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { connect } from 'node:tls';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAppError } from '../../../src/errors.js';
import { createLogger } from '../../../src/log.js';
import { pollUntil } from '../../support/poll.js';
import {
  createReloadingTlsContext,
  ensureDevTls,
  type ReloadingTlsContext,
} from '../../../src/tls/index.js';

let dir: string;
let live: { certFile: string; keyFile: string };
let spare: { certFile: string; keyFile: string };
let lines: Record<string, unknown>[];
let server: Server | undefined;
let ctx: ReloadingTlsContext | undefined;

function recordingLogger() {
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean))
      lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  return createLogger({ level: 'info', format: 'json', destination: stream });
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sigil-tlsfiles-'));
  lines = [];
  // Two independent certificate sets: "live" is served, "spare" is rotated in.
  const a = await ensureDevTls(join(dir, 'a'));
  const b = await ensureDevTls(join(dir, 'b'));
  live = { certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key') };
  await copyFile(a.certFile, live.certFile);
  await copyFile(a.keyFile, live.keyFile);
  spare = { certFile: b.certFile, keyFile: b.keyFile };
});

afterEach(async () => {
  ctx?.stop();
  ctx = undefined;
  if (server !== undefined) await new Promise((resolve) => server?.close(resolve));
  server = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function serve(context: ReloadingTlsContext): Promise<number> {
  server = createServer({ ...context.options }, (_req, res) => res.end('ok'));
  context.attach(server);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** Serial number of the certificate a fresh connection sees; `servername` undefined: no SNI. */
function peerSerial(port: number, servername?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(
      {
        host: '127.0.0.1',
        port,
        rejectUnauthorized: false,
        ...(servername === undefined ? {} : { servername }),
      },
      () => {
        const serial = socket.getPeerCertificate().serialNumber;
        socket.destroy();
        resolve(serial);
      },
    );
    socket.on('error', reject);
  });
}

async function serialOf(file: string): Promise<string> {
  const { X509Certificate } = await import('node:crypto');
  return new X509Certificate(await readFile(file)).serialNumber;
}

describe('createReloadingTlsContext', () => {
  it('serves the new certificate to new connections after the files are rotated (with and without SNI)', async () => {
    ctx = createReloadingTlsContext(live, recordingLogger(), { intervalMs: 100 });
    const port = await serve(ctx);
    const oldSerial = await serialOf(live.certFile);
    const newSerial = await serialOf(spare.certFile);
    expect(await peerSerial(port)).toBe(oldSerial);

    await writeFile(live.certFile, await readFile(spare.certFile));
    await writeFile(live.keyFile, await readFile(spare.keyFile));
    await pollUntil(
      () => peerSerial(port),
      (seen) => seen === newSerial,
      { what: 'the new certificate served', timeoutMs: 5000, intervalMs: 100 },
    );
    expect(await peerSerial(port, 'localhost')).toBe(newSerial);
    expect(ctx.options.cert).toBe(await readFile(spare.certFile, 'utf8'));
    expect(
      lines.some((l) => l['msg'] === 'TLS certificate reloaded' && l['serial'] === newSerial),
    ).toBe(true);
  });

  it('keeps the previous certificate and warns when a changed file is bad', async () => {
    ctx = createReloadingTlsContext(live, recordingLogger(), { intervalMs: 60_000 });
    const port = await serve(ctx);
    const oldSerial = await serialOf(live.certFile);

    // Key of another certificate: mismatch.
    await writeFile(live.keyFile, await readFile(spare.keyFile));
    expect(ctx.reload()).toBe(false);
    await writeFile(live.certFile, 'not a certificate');
    expect(ctx.reload()).toBe(false);
    expect(await peerSerial(port)).toBe(oldSerial);
    const warnings = lines.filter((l) => l['level'] === 40);
    expect(warnings).toHaveLength(2);
    expect(String(warnings[0]?.['reason'])).toContain('does not match');
    expect(String(warnings[1]?.['reason'])).toContain('holds no PEM certificate');
    // No key material in the log.
    expect(JSON.stringify(lines)).not.toContain('PRIVATE KEY');

    // Fixed files are picked up by an explicit reload; an unchanged pair is not "reloaded".
    await writeFile(live.certFile, await readFile(spare.certFile));
    expect(ctx.reload()).toBe(true);
    expect(ctx.reload()).toBe(false);
    expect(await peerSerial(port)).toBe(await serialOf(spare.certFile));
  });

  it.each([
    [
      'a missing certificate file',
      (f: typeof live) => rm(f.certFile),
      'cannot read TLS certificate file',
    ],
    [
      'a certificate file without PEM',
      (f: typeof live) => writeFile(f.certFile, 'hello'),
      'holds no PEM certificate',
    ],
    [
      'a key that is not a key',
      (f: typeof live) => writeFile(f.keyFile, 'hello'),
      'holds no usable unencrypted PEM private key',
    ],
    [
      'a key of another certificate',
      async (f: typeof live) => writeFile(f.keyFile, await readFile(spare.keyFile)),
      'does not match',
    ],
  ])('refuses to start with %s (TLS_INVALID naming the file)', async (_name, breakIt, message) => {
    await breakIt(live);
    let caught: unknown;
    try {
      ctx = createReloadingTlsContext(live, recordingLogger());
    } catch (err) {
      caught = err;
    }
    expect(isAppError(caught, 'TLS_INVALID')).toBe(true);
    expect((caught as Error).message).toContain(message);
    expect((caught as Error).message).toMatch(/server\.(crt|key)/);
  });
});
