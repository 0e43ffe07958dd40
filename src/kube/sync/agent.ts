import { parse, stringify } from 'yaml';
import { errorMessage } from '../../errors.js';
import { withDenyRules } from '../authentication-config.js';
import { buildDenyRules } from '../revocation/index.js';
import { fetchConfig, type FetchResult } from './fetch.js';
import { validateFetched, type FetchedConfig } from './validate.js';
import { currentContent, writeIfChanged } from './write.js';

/**
 * `sigil kube sync`: keeps the file kube-apiserver's `--authentication-config` names equal to
 * what sigil serves for the cluster. Each tick fetches (If-None-Match the last ETag), checks,
 * and writes atomically when the content changed. When sigil cannot be reached or answers
 * something it refuses, the last file stays, the deny entries it last got keep being pruned
 * as they expire (keepUntil), and it retries with back-off; the status says so (log, metrics).
 */
export interface SyncLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface SyncAgentOptions {
  readonly cluster: string;
  /** sigil's base URL (its issuer). */
  readonly server: URL;
  readonly secret: string;
  readonly out: string;
  readonly ca?: string | undefined;
  readonly intervalMs: number;
  readonly maxBackoffMs?: number;
  readonly timeoutMs?: number;
  readonly log: SyncLog;
  readonly now?: () => Date;
  /** Fetches (tests may stand in a failing network). */
  readonly fetch?: typeof fetchConfig;
}

export interface SyncStatus {
  /** The last fetch succeeded. */
  up: boolean;
  lastSuccess?: Date;
  lastWrite?: Date;
  consecutiveFailures: number;
  failuresTotal: number;
  writesTotal: number;
  /** Deny entries in the file now. */
  entries: number;
  lastError?: string;
}

const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

export function configUrl(server: URL, cluster: string): URL {
  const base = server.href.endsWith('/') ? server.href : `${server.href}/`;
  return new URL(`api/v1/clusters/${encodeURIComponent(cluster)}/authentication-config`, base);
}

/** The issuer of an AuthenticationConfiguration file already there, if it names one. */
export function issuerOfFile(content: string | undefined): string | undefined {
  if (content === undefined) return undefined;
  try {
    const url = (parse(content) as { jwt?: { issuer?: { url?: unknown } }[] } | null)?.jwt?.[0]
      ?.issuer?.url;
    return typeof url === 'string' ? url : undefined;
  } catch {
    return undefined;
  }
}

export class SyncAgent {
  readonly status: SyncStatus = {
    up: false,
    consecutiveFailures: 0,
    failuresTotal: 0,
    writesTotal: 0,
    entries: 0,
  };
  readonly #o: SyncAgentOptions;
  #fetched: FetchedConfig | undefined;
  #etag: string | undefined;
  #issuer: string | undefined;

  constructor(o: SyncAgentOptions, trustedIssuer?: string) {
    this.#o = o;
    this.#issuer = trustedIssuer;
  }

  /** The delay before the next tick: the interval, or a back-off after failures. */
  nextDelayMs(): number {
    const n = this.status.consecutiveFailures;
    if (n === 0) return this.#o.intervalMs;
    return Math.min(this.#o.intervalMs * 2 ** Math.min(n, 16), this.#o.maxBackoffMs ?? 60_000);
  }

  /** One round: fetch, check, write when changed; or keep the file and prune what expired. */
  async tick(): Promise<{ ok: boolean; written: boolean }> {
    let ok = true;
    try {
      await this.#fetch();
      this.status.up = true;
      this.status.consecutiveFailures = 0;
      this.status.lastSuccess = this.#now();
      delete this.status.lastError;
    } catch (err) {
      ok = false;
      this.status.up = false;
      this.status.consecutiveFailures += 1;
      this.status.failuresTotal += 1;
      this.status.lastError = (errorMessage(err).split('\n')[0] ?? 'failed').slice(0, 300);
      this.#o.log.warn(
        {
          event: 'sync.failed',
          cluster: this.#o.cluster,
          failures: this.status.consecutiveFailures,
          err: this.status.lastError,
        },
        'could not refresh the authentication configuration: keeping the last file',
      );
    }
    try {
      return { ok, written: await this.#write() };
    } catch {
      if (ok) {
        this.status.consecutiveFailures += 1;
        this.status.failuresTotal += 1;
      }
      return { ok: false, written: false };
    }
  }

  async #fetch(): Promise<void> {
    const res: FetchResult = await (this.#o.fetch ?? fetchConfig)({
      url: configUrl(this.#o.server, this.#o.cluster),
      secret: this.#o.secret,
      ca: this.#o.ca,
      etag: this.#fetched === undefined ? undefined : this.#etag,
      timeoutMs: this.#o.timeoutMs ?? 10_000,
      maxBytes: MAX_ANSWER_BYTES,
    });
    if (res.status === 304 && this.#fetched !== undefined) return;
    if (res.status !== 200) throw new Error(`sigil answered ${res.status}${problemOf(res.body)}`);
    const fetched = validateFetched(res.body ?? '', this.#o.cluster, this.#issuer);
    this.#fetched = fetched;
    this.#issuer = fetched.issuer;
    this.#etag = res.etag;
  }

  /** Writes what the last good answer says now (its expired entries pruned), if it changed. */
  async #write(): Promise<boolean> {
    const f = this.#fetched;
    if (f === undefined) return false;
    const now = this.#now();
    const live = f.entries.filter((e) => e.keepUntil > now);
    const config =
      live.length === f.entries.length
        ? f.config
        : withDenyRules(f.config, buildDenyRules(live, now).rules);
    const content = stringify(config, { lineWidth: 0 });
    this.status.entries = live.length;
    try {
      if (!(await writeIfChanged(this.#o.out, content))) return false;
    } catch (err) {
      this.status.up = false;
      this.status.lastError = `cannot write ${this.#o.out}: ${errorMessage(err)}`;
      this.#o.log.error(
        { event: 'sync.write_failed', err: this.status.lastError },
        'could not write the file',
      );
      throw err;
    }
    this.status.writesTotal += 1;
    this.status.lastWrite = now;
    this.#o.log.info(
      { event: 'sync.written', cluster: this.#o.cluster, file: this.#o.out, entries: live.length },
      'authentication configuration written',
    );
    return true;
  }

  #now(): Date {
    return (this.#o.now ?? (() => new Date()))();
  }
}

/** `: <title> (<detail>)` of an RFC 9457 problem body, bounded; empty when it is none. */
function problemOf(body: string | undefined): string {
  try {
    const p = JSON.parse(body ?? '') as { title?: unknown; detail?: unknown };
    const t = typeof p.title === 'string' ? p.title : '';
    const d = typeof p.detail === 'string' ? ` (${p.detail})` : '';
    return t === '' ? '' : `: ${`${t}${d}`.slice(0, 200)}`;
  } catch {
    return '';
  }
}

/** The agent's status in Prometheus' text format (`--metrics`). */
export function renderSyncMetrics(cluster: string, s: SyncStatus): string {
  const l = `{cluster="${cluster.replace(/["\\\n]/g, '_')}"}`;
  const line = (name: string, type: string, help: string, v: number) =>
    `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name}${l} ${v}\n`;
  const ts = (d: Date | undefined) => (d === undefined ? 0 : d.getTime() / 1000);
  return [
    line(
      'sigil_kube_sync_up',
      'gauge',
      '1 when the last fetch from sigil succeeded.',
      s.up ? 1 : 0,
    ),
    line(
      'sigil_kube_sync_last_success_timestamp_seconds',
      'gauge',
      'When sigil last answered.',
      ts(s.lastSuccess),
    ),
    line(
      'sigil_kube_sync_last_write_timestamp_seconds',
      'gauge',
      'When the file last changed.',
      ts(s.lastWrite),
    ),
    line(
      'sigil_kube_sync_consecutive_failures',
      'gauge',
      'Failed rounds since the last success.',
      s.consecutiveFailures,
    ),
    line('sigil_kube_sync_failures_total', 'counter', 'Failed rounds.', s.failuresTotal),
    line('sigil_kube_sync_writes_total', 'counter', 'Times the file was replaced.', s.writesTotal),
    line('sigil_kube_sync_deny_entries', 'gauge', 'Deny entries in the file.', s.entries),
  ].join('');
}

/** The file as it is now (undefined: none yet), for the trusted issuer at start. */
export { currentContent };
