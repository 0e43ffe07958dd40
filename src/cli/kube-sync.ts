import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { dirname } from 'node:path';
import { AppError, errorMessage } from '../errors.js';
import {
  checkWritableDir,
  currentContent,
  issuerOfFile,
  renderSyncMetrics,
  SyncAgent,
} from '../kube/index.js';
import { parseDuration } from '../lib/index.js';
import { createLogger } from '../log.js';
import type { KubeSyncOptions } from './program/index.js';
import { OK, type CommandResult } from './result.js';

/**
 * `sigil kube sync`: the delivery agent beside kube-apiserver (deploy/kube-sync/ has a static
 * pod and a systemd unit). Needs no sigil config: the cluster's name, sigil's URL, the sync
 * secret (a file) and the file to keep. Bad options, an unreadable secret or CA, and a
 * directory it cannot write are one-line errors and a non-zero exit, before anything is
 * touched. `--once` runs one round and exits non-zero when it failed (the file stays).
 */
const usage = (m: string) => new AppError('CLI_USAGE', m);

async function readSmallFile(file: string, what: string): Promise<string> {
  try {
    const text = await readFile(file, 'utf8');
    if (text.length > 1_000_000) throw usage(`${what} ${file} is too large`);
    return text;
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw usage(
      `cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`,
    );
  }
}

interface Parsed {
  readonly server: URL;
  readonly intervalMs: number;
  readonly metrics?: { host: string; port: number };
}

function parseOptions(o: KubeSyncOptions): Parsed {
  let server: URL;
  try {
    server = new URL(o.server);
  } catch {
    throw usage(`--server ${o.server.slice(0, 200)} is not a URL`);
  }
  if (server.protocol !== 'https:') throw usage('--server must be an https URL');
  if (
    server.username !== '' ||
    server.password !== '' ||
    server.search !== '' ||
    server.hash !== ''
  )
    throw usage('--server must not carry credentials, a query or a fragment');
  if (!/^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$/.test(o.cluster))
    throw usage('--cluster must be a cluster name (lower-case letters, digits, . and -)');
  const intervalMs = parseDuration(o.interval);
  if (intervalMs === undefined || intervalMs < 1000 || intervalMs > 3_600_000)
    throw usage('--interval must be a duration from 1s to 1h (e.g. 5s)');
  let metrics: Parsed['metrics'];
  if (o.metrics !== undefined) {
    const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(o.metrics);
    const port = Number(m?.[2]);
    if (m?.[1] === undefined || !(port > 0 && port < 65536))
      throw usage('--metrics must be host:port (e.g. 127.0.0.1:9464)');
    metrics = { host: m[1].replace(/^\[|\]$/g, ''), port };
  }
  return { server, intervalMs, ...(metrics === undefined ? {} : { metrics }) };
}

export async function kubeSync(o: KubeSyncOptions): Promise<CommandResult> {
  const p = parseOptions(o);
  const secret = (await readSmallFile(o.secretFile, 'the secret file')).replace(/\r?\n$/, '');
  if (!/^[\x21-\x7e]{1,1024}$/.test(secret))
    throw usage(`the secret file ${o.secretFile} must hold one line of printable ASCII`);
  const ca = o.ca === undefined ? undefined : await readSmallFile(o.ca, 'the CA file');
  try {
    await checkWritableDir(o.out);
  } catch (err) {
    throw usage(
      `cannot write in ${dirname(o.out)}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`,
    );
  }
  const log = createLogger({ level: 'info', format: 'auto' }).child({ component: 'kube-sync' });
  const agent = new SyncAgent(
    { cluster: o.cluster, server: p.server, secret, out: o.out, ca, intervalMs: p.intervalMs, log },
    issuerOfFile(await currentContent(o.out)),
  );
  if (o.once) {
    const r = await agent.tick();
    return r.ok ? OK : { exitCode: 1, notes: [agent.status.lastError ?? 'the round failed'] };
  }
  const metrics =
    p.metrics === undefined ? undefined : await serveMetrics(p.metrics, o.cluster, agent);
  await runUntilSignal(agent);
  if (metrics !== undefined)
    await new Promise((resolve) => {
      metrics.close(resolve);
    });
  return OK;
}

const stopRequested = (state: { running: boolean }): boolean => !state.running;

/** Rounds until SIGTERM or SIGINT, waiting the interval (or the back-off) between them. */
async function runUntilSignal(agent: SyncAgent): Promise<void> {
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const state = { running: true };
  const onSignal = () => {
    state.running = false;
    stop();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    while (state.running) {
      await agent.tick();
      if (stopRequested(state)) break;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        stopped,
        new Promise((resolve) => (timer = setTimeout(resolve, agent.nextDelayMs()))),
      ]);
      clearTimeout(timer);
    }
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}

function serveMetrics(
  at: { host: string; port: number },
  cluster: string,
  agent: SyncAgent,
): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(renderSyncMetrics(cluster, agent.status));
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err) => {
      reject(usage(`cannot listen on ${at.host}:${at.port}: ${errorMessage(err)}`));
    });
    server.listen(at.port, at.host, () => {
      resolve(server);
    });
  });
}
