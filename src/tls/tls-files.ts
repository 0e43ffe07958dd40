import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import { createSecureContext, type SecureContextOptions, type Server } from 'node:tls';
import { AppError, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { readPemCertificates } from './pem.js';

/**
 * sigil's own TLS certificate and key, reloaded when the files change (cert-manager renewals,
 * Kubernetes secret updates) without a restart: new handshakes get the new certificate through
 * `server.setSecureContext`, which works for clients that send no SNI too. A bad file at start
 * is a startup error; a bad file later is a warning and the previous certificate stays.
 */
export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface ReloadingTlsContext {
  /** `cert` and `key` for `https.createServer(options)`: always the pair currently in use. */
  readonly options: { readonly cert: string; readonly key: string };
  /** Hands every later reload to this server (an https.Server or tls.Server). */
  attach(server: Server): void;
  /** Reads the files again now. True when a different, valid pair was put in use. */
  reload(): boolean;
  /** Stops watching the files. */
  stop(): void;
}

export interface ReloadOptions {
  /** How often the files are polled (fs.watchFile); default 2000 ms. */
  readonly intervalMs?: number;
}

interface LoadedPair {
  readonly cert: string;
  readonly key: string;
  readonly leaf: X509Certificate;
}

/** Reads and checks a certificate chain and its key; throws AppError('TLS_INVALID') naming the file. */
export function loadTlsFiles(files: TlsFiles): LoadedPair {
  const cert = readTlsFile(files.certFile, 'certificate');
  const key = readTlsFile(files.keyFile, 'private key');
  const [first] = readPemCertificates(cert);
  if (first === undefined) {
    throw new AppError(
      'TLS_INVALID',
      `TLS certificate file ${files.certFile} holds no PEM certificate`,
    );
  }
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(first);
  } catch (err) {
    throw new AppError(
      'TLS_INVALID',
      `TLS certificate file ${files.certFile}: cannot parse the first certificate: ${errorMessage(err)}`,
      { cause: err },
    );
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new AppError(
      'TLS_INVALID',
      `TLS key file ${files.keyFile} holds no usable unencrypted PEM private key: ${errorMessage(err)}`,
      { cause: err },
    );
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new AppError(
      'TLS_INVALID',
      `TLS key file ${files.keyFile} does not match the certificate in ${files.certFile}`,
    );
  }
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new AppError(
      'TLS_INVALID',
      `TLS files ${files.certFile} and ${files.keyFile} cannot be used: ${errorMessage(err)}`,
      { cause: err },
    );
  }
  return { cert, key, leaf };
}

export function createReloadingTlsContext(
  files: TlsFiles,
  log: Pick<Logger, 'info' | 'warn'>,
  opts: ReloadOptions = {},
): ReloadingTlsContext {
  let current = loadTlsFiles(files);
  warnIfExpiring(current.leaf, files, log);
  const servers = new Set<Server>();
  const interval = opts.intervalMs ?? 2000;
  let pending: NodeJS.Timeout | undefined;
  let stopped = false;

  const reload = (): boolean => {
    let next: LoadedPair;
    try {
      next = loadTlsFiles(files);
    } catch (err) {
      log.warn(
        { certFile: files.certFile, keyFile: files.keyFile, reason: errorMessage(err) },
        'TLS files changed but cannot be used; keeping the previous certificate',
      );
      return false;
    }
    if (next.cert === current.cert && next.key === current.key) return false;
    const context: SecureContextOptions = { cert: next.cert, key: next.key };
    for (const server of servers) server.setSecureContext(context);
    current = next;
    log.info(
      { certFile: files.certFile, serial: next.leaf.serialNumber, validTo: next.leaf.validTo },
      'TLS certificate reloaded',
    );
    warnIfExpiring(next.leaf, files, log);
    return true;
  };

  // Both files usually change together; wait a moment so that one reload sees both.
  const onChange = (curr: Stats, prev: Stats): void => {
    if (
      stopped ||
      (curr.mtimeMs === prev.mtimeMs && curr.ino === prev.ino && curr.size === prev.size)
    )
      return;
    if (pending !== undefined) clearTimeout(pending);
    pending = setTimeout(
      () => {
        pending = undefined;
        if (!stopped) reload();
      },
      Math.min(250, interval),
    );
    pending.unref();
  };
  for (const file of [files.certFile, files.keyFile])
    watchFile(file, { interval, persistent: false }, onChange);

  return {
    get options() {
      return { cert: current.cert, key: current.key };
    },
    attach(server: Server): void {
      servers.add(server);
      server.setSecureContext({ cert: current.cert, key: current.key });
      server.once('close', () => servers.delete(server));
    },
    reload,
    stop(): void {
      stopped = true;
      if (pending !== undefined) clearTimeout(pending);
      for (const file of [files.certFile, files.keyFile]) unwatchFile(file, onChange);
      servers.clear();
    },
  };
}

function readTlsFile(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? errorMessage(err);
    throw new AppError('TLS_INVALID', `cannot read TLS ${what} file ${file}: ${code}`, {
      cause: err,
    });
  }
}

const EXPIRY_WARNING_MS = 14 * 86_400_000;

function warnIfExpiring(leaf: X509Certificate, files: TlsFiles, log: Pick<Logger, 'warn'>): void {
  const left = Date.parse(leaf.validTo) - Date.now();
  if (left < EXPIRY_WARNING_MS) {
    log.warn(
      { certFile: files.certFile, validTo: leaf.validTo },
      left <= 0 ? 'TLS certificate has expired' : 'TLS certificate expires within 14 days',
    );
  }
}
