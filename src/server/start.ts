import type { Config } from '../config/index.js';
import { Closers } from '../lib/index.js';
import type { Logger } from '../log.js';
import type { Provider } from '../oidc/index.js';
import type { Db } from '../storage/index.js';
import { buildHttp } from './http.js';
import { listenAll } from './listen.js';
import { buildServices } from './services.js';
import { openStorage } from './storage.js';
import { startTimers } from './timers.js';

export interface RunningServer {
  /** Base URLs actually listening (ports resolved), https first. */
  readonly urls: readonly string[];
  /** Base URL of the telemetry listener (`telemetry.http`), when configured. */
  readonly telemetryUrl?: string;
  readonly db: Db;
  readonly provider: () => Provider;
  /** Writes the audit rows still queued (they are batched, at most 1 s late): for tests. */
  flushAudit(): Promise<void>;
  /** Stops accepting, drains in-flight requests (bounded), closes connectors and the database. */
  close(): Promise<void>;
}

export interface ServerOptions {
  config: Config;
  log: Logger;
  env?: NodeJS.ProcessEnv;
  /** Drain time on close before open connections are cut. */
  drainMs?: number;
  /** Called once every listener is up, before the "listening" log line (the dev banner goes first). */
  onListening?: () => void;
  /**
   * Wraps the database every part uses after migrations (tests count the statements of a
   * refresh or a login through it). Not a production knob.
   */
  wrapDb?: (db: Db) => Db;
}

/**
 * The composition root of `sigil serve`, in phases: open storage → build services → build
 * http → listen → start timers. Each phase adds what it opened to one Closers list; close
 * (or a phase that fails) closes everything in reverse.
 */
export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const { config, log } = opts;
  const closers = new Closers();
  try {
    const { db, storage } = await openStorage(
      config,
      opts.env ?? process.env,
      log,
      closers,
      opts.wrapDb,
    );
    const services = await buildServices(config, db, log, closers);
    const parts = await buildHttp(config, db, services, log);
    const { urls, telemetryUrl } = await listenAll(
      config,
      parts,
      log,
      closers,
      opts.drainMs ?? 10_000,
    );
    startTimers(config, db, services, parts, log, closers);
    opts.onListening?.();
    log.info(
      {
        urls,
        telemetry: telemetryUrl,
        issuer: config.issuer,
        storage: storage.type,
        kid: services.keys.active.kid,
      },
      'sigil listening',
    );
    return {
      urls,
      ...(telemetryUrl === undefined ? {} : { telemetryUrl }),
      db,
      provider: parts.provider,
      flushAudit: () => services.audit.flush(),
      close: () => closers.close(),
    };
  } catch (err) {
    await closers.close().catch(() => undefined);
    throw err;
  }
}
