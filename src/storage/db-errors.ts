import { AppError, errorMessage } from '../errors.js';

/**
 * Turns what `pg` and PGlite throw into sigil's stable codes, once, at the Db seam:
 * - the server is gone, refusing, restarting or unreachable → `DB_UNAVAILABLE` (a 503; the
 *   caller retries or fails the request, the process keeps running);
 * - a value PostgreSQL cannot store as text/jsonb (NUL byte, invalid UTF-8) →
 *   `STORAGE_INVALID_INPUT` (the requester's fault, a 400).
 * Anything else is returned unchanged.
 */

/** errno codes of a socket that cannot reach (or lost) the server. */
const SOCKET_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/** SQLSTATEs of a server that is shutting down, starting up or out of connections. */
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown (pg_ctl stop, a failover)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, recovery)
  '53300', // too_many_connections
]);

/** Messages `pg` and `pg-pool` use for a connection that timed out or died without a code. */
const UNAVAILABLE_MESSAGES = [
  /connection terminated/i,
  /connection timeout/i,
  /timeout exceeded when trying to connect/i,
  /not queryable/i,
  /connection ended unexpectedly/i,
  /cannot use a pool after calling end/i,
];

/** SQLSTATEs of text PostgreSQL refuses to store: 22P05 `\u0000` in jsonb, 22021 NUL/invalid UTF-8 in text. */
const INVALID_INPUT_SQLSTATES = new Set(['22P05', '22021']);

function codeOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  const { code } = err;
  return typeof code === 'string' ? code : undefined;
}

export function isConnectionError(err: unknown): boolean {
  if (err instanceof AggregateError && err.errors.some((e) => isConnectionError(e))) return true;
  const code = codeOf(err);
  if (code !== undefined) {
    if (SOCKET_ERRNOS.has(code) || UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08'))
      return true;
  }
  if (!(err instanceof Error)) return false;
  return UNAVAILABLE_MESSAGES.some((re) => re.test(err.message));
}

export function isInvalidInputError(err: unknown): boolean {
  const code = codeOf(err);
  return code !== undefined && INVALID_INPUT_SQLSTATES.has(code);
}

/** Maps a driver error to an AppError where one applies; returns anything else unchanged. */
export function toStorageError(err: unknown): unknown {
  if (err instanceof AppError) return err;
  if (isConnectionError(err)) {
    return new AppError('DB_UNAVAILABLE', `the database cannot be reached: ${describe(err)}`, {
      cause: err,
    });
  }
  if (isInvalidInputError(err)) {
    return new AppError(
      'STORAGE_INVALID_INPUT',
      'a value cannot be stored: it contains a NUL byte or invalid text',
      {
        cause: err,
      },
    );
  }
  return err;
}

function describe(err: unknown): string {
  const code = codeOf(err);
  const message =
    err instanceof AggregateError && err.message === ''
      ? err.errors.map(errorMessage).join('; ')
      : errorMessage(err);
  return code === undefined || message.includes(code) ? message : `${code} ${message}`;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when `text` cannot be stored by PostgreSQL: a NUL character or an unpaired UTF-16 surrogate. */
export function isUnstorableText(text: string): boolean {
  return text.includes('\u0000') || LONE_SURROGATE.test(text);
}
