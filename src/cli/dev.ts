import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_DATA_DIR, devConfig, devPasswordFile, type Config } from '../config/index.js';
import { hashPassword } from '../connectors/index.js';
import { ensureDevTls } from '../tls/index.js';

export interface DevSetup {
  readonly config: Config;
  readonly caFile: string;
  readonly password: string;
}

/** Zero-config start: dev TLS, a demo password kept in the data dir, the dev config. */
export async function prepareDev(): Promise<DevSetup> {
  const dataDir = resolve(process.env['SIGIL_DATA_DIR'] ?? DEFAULT_DATA_DIR);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const tls = await ensureDevTls(dataDir);
  const pwFile = devPasswordFile(dataDir);
  let password: string;
  try {
    password = readFileSync(pwFile, 'utf8').trim();
  } catch {
    password = randomBytes(12).toString('base64url');
    writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  }
  const config = devConfig({
    dataDir,
    certFile: tls.certFile,
    keyFile: tls.keyFile,
    caFile: tls.caFile,
    demoHash: await hashPassword(password),
  });
  return { config, caFile: tls.caFile, password };
}
