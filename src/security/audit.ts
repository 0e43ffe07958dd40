import { isAppError } from '../errors.js';
import type { Logger } from '../log.js';
import {
  insertAuditEvents,
  type AuditOutcome,
  type NewAuditEvent,
  type Queryable,
  type TimedAuditEvent,
} from '../storage/index.js';
import { clientAddress } from './client-ip.js';

/**
 * The audit trail: every event becomes a row in audit_events and one JSON log line
 * (`"msg":"audit"`, the event under `audit`). What is recorded is scrubbed here, whoever
 * calls: no passwords, secrets, codes or whole tokens (JWT-shaped strings are cut down to
 * their first characters), no control characters, bounded lengths.
 */
export type { AuditOutcome };

/** An event as callers hand it in; scrubEvent() makes it safe to store (same shape). */
export type AuditEvent = NewAuditEvent;

export interface Audit {
  /**
   * Records one event: its JSON log line at once (synchronously), its row in audit_events in
   * the next batch (at most `flushMs` later, or at flush/close). Never throws: when the
   * database refuses a batch, the failure is logged and the events still have their log lines.
   */
  record(e: AuditEvent): Promise<void>;
  /** Writes every queued row now (tests, shutdown). */
  flush(): Promise<void>;
  /** Stops the timer and writes what is queued: a closer of the server. */
  close(): Promise<void>;
  /** Marks a request whose outcome was already recorded (so a generic handler skips it). */
  markRecorded(request: object): void;
  wasRecorded(request: object): boolean;
}

/** Keys never written to the trail, whatever a caller passes in `details`. */
const FORBIDDEN_KEYS = new Set([
  'password',
  'passwd',
  'secret',
  'client_secret',
  'clientsecret',
  'code',
  'code_verifier',
  'token',
  'access_token',
  'accesstoken',
  'refresh_token',
  'refreshtoken',
  'id_token',
  'idtoken',
  'authorization',
  'cookie',
  'bindpw',
  'private_jwk',
  'privatejwk',
  'd',
]);

// eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const JWT_SHAPED = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g;

/** A text field as stored: no control characters, no JWTs, at most `max` characters. */
export function cleanText(value: string, max = 256): string {
  const clean = value.replace(CONTROL, '').replace(JWT_SHAPED, '[jwt]');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

function cleanOptional(value: string | undefined, max: number): string | undefined {
  if (value === undefined) return undefined;
  const c = cleanText(value, max);
  return c === '' ? undefined : c;
}

/** Deep copy of `details` without forbidden keys, with every string cleaned, bounded in size. */
export function scrubDetails(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return cleanText(value, 512);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
  if (value instanceof Date) return value.toISOString();
  if (depth >= 4) return '[nested]';
  if (Array.isArray(value)) {
    const items = value.slice(0, 1000).map((v) => scrubDetails(v, depth + 1));
    return value.length > 1000 ? [...items, `[+${value.length - 1000} more]`] : items;
  }
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined || FORBIDDEN_KEYS.has(k.toLowerCase())) continue;
      out[cleanText(k, 64)] = scrubDetails(v, depth + 1);
    }
    return out;
  }
  return undefined;
}

/** The event as it is stored and logged. */
export function scrubEvent(e: AuditEvent): NewAuditEvent {
  const details = scrubDetails(e.details ?? {});
  return {
    event: cleanText(e.event, 64),
    outcome: e.outcome,
    username: cleanOptional(e.username, 256),
    sub: cleanOptional(e.sub, 256),
    clientId: cleanOptional(e.clientId, 200),
    ip: e.ip === undefined ? undefined : cleanOptional(clientAddress(e.ip), 64),
    reason: cleanOptional(e.reason, 200),
    details:
      typeof details === 'object' && details !== null ? (details as Record<string, unknown>) : {},
  };
}

export interface AuditBatching {
  /** A queued row is written at most this long after it was recorded (default 1 s). */
  readonly flushMs?: number;
  /** Rows per INSERT (default 500). */
  readonly batchSize?: number;
  /**
   * Most rows waiting (default 10 000): beyond it the oldest are dropped from the queue (their
   * log lines stay), so an unreachable database cannot grow memory without bound.
   */
  readonly maxQueued?: number;
}

export function createAudit(db: Queryable, log: Logger, batching: AuditBatching = {}): Audit {
  const auditLog = log.child({ component: 'audit' });
  const recorded = new WeakSet<object>();
  const writer = new AuditWriter(db, auditLog, batching);
  return {
    record(e) {
      const row = scrubEvent(e);
      auditLog.info({ audit: row }, 'audit');
      writer.push({ ...row, at: new Date() });
      return Promise.resolve();
    },
    flush: () => writer.flush(),
    close: () => writer.close(),
    markRecorded(request) {
      recorded.add(request);
    },
    wasRecorded(request) {
      return recorded.has(request);
    },
  };
}

/**
 * The audit_events rows, written in batches: one INSERT for every row recorded within
 * `flushMs`. A crash loses the rows still queued (at most `flushMs` of events, bounded by
 * `maxQueued`) from the table, never from the log.
 */
class AuditWriter {
  readonly #db: Queryable;
  readonly #log: Logger;
  readonly #flushMs: number;
  readonly #batchSize: number;
  readonly #maxQueued: number;
  #queue: TimedAuditEvent[] = [];
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();
  #dropped = 0;

  constructor(db: Queryable, log: Logger, o: AuditBatching) {
    this.#db = db;
    this.#log = log;
    this.#flushMs = o.flushMs ?? 1000;
    this.#batchSize = o.batchSize ?? 500;
    this.#maxQueued = o.maxQueued ?? 10_000;
  }

  push(row: TimedAuditEvent): void {
    this.#queue.push(row);
    if (this.#queue.length > this.#maxQueued) {
      this.#queue.shift();
      this.#dropped++;
    }
    if (this.#queue.length >= this.#batchSize) void this.flush();
    else this.#timer ??= setTimeout(() => void this.flush(), this.#flushMs).unref();
  }

  /** Writes what is queued now, after any write in progress (writes never overlap). */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const rows = this.#queue;
    this.#queue = [];
    this.#reportDropped();
    this.#writing = this.#writing.then(() => this.#write(rows));
    return this.#writing;
  }

  async close(): Promise<void> {
    await this.flush();
  }

  async #write(rows: readonly TimedAuditEvent[]): Promise<void> {
    for (let i = 0; i < rows.length; i += this.#batchSize) {
      const batch = rows.slice(i, i + this.#batchSize);
      try {
        await insertAuditEvents(this.#db, batch);
      } catch (err) {
        // The log lines hold the events either way. A database outage is an operational
        // condition (and already reported by storage and /readyz): a warning; else a bug.
        const fields = { err, auditEvents: batch.length, first: batch[0]?.event };
        const msg = 'audit event not stored in the database (the log line above has it)';
        if (isAppError(err, 'DB_UNAVAILABLE')) this.#log.warn(fields, msg);
        else this.#log.error(fields, msg);
      }
    }
  }

  #reportDropped(): void {
    if (this.#dropped === 0) return;
    this.#log.warn(
      { dropped: this.#dropped, maxQueued: this.#maxQueued },
      'audit rows dropped from the queue while the database lagged (their log lines have them)',
    );
    this.#dropped = 0;
  }
}
