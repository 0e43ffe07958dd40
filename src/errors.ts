/** One row of the registry: the HTTP status and what the code means. */
const entry = <S extends number>(status: S, description: string) => ({ status, description });

/**
 * One error type for everything sigil raises on purpose. Every error has a stable `code`
 * (documented in docs/errors.md, checked by test/unit/errors.test.ts), an HTTP `status`, and
 * `expose = status < 500`: the message of an exposed error may be shown to the requester,
 * anything else is logged and answered with a generic message (Koa's contract).
 */
export const ERROR_CODES = {
  CONFIG_INVALID: entry(500, 'The configuration file does not validate.'),
  CONFIG_NOT_FOUND: entry(500, 'The configuration file cannot be read.'),
  CONFIG_ENV_MISSING: entry(
    500,
    'A `${VAR}` reference or a `*File` key names something that is not there.',
  ),
  DATA_DIR_LOCKED: entry(500, 'Another sigil process holds the embedded database directory.'),
  DB_UNAVAILABLE: entry(503, 'The database cannot be reached.'),
  DB_MIGRATION_FAILED: entry(500, 'A database migration failed.'),
  STORAGE_INVALID_INPUT: entry(
    400,
    'A value cannot be stored (for example it contains a NUL byte).',
  ),
  KEYS_UNAVAILABLE: entry(503, 'No usable signing key is available.'),
  KEY_NOT_FOUND: entry(404, 'No signing key has that key id.'),
  CONNECTOR_UNAVAILABLE: entry(503, 'The identity backend (LDAP directory) cannot be reached.'),
  CONNECTOR_MISCONFIGURED: entry(
    500,
    'The identity backend answered in a way the configuration does not allow.',
  ),
  CONNECTOR_NOT_FOUND: entry(400, 'No connector has that id.'),
  ACCOUNT_CONFLICT: entry(500, 'Two connectors returned the same stable user id.'),
  ACCESS_DENIED: entry(403, 'Policy refuses this user for this client.'),
  TLS_INVALID: entry(500, 'A TLS certificate or key cannot be used.'),
  CLUSTER_NOT_FOUND: entry(404, 'No cluster has that name.'),
  BAD_REQUEST: entry(400, 'The request is malformed.'),
  NOT_FOUND: entry(404, 'Nothing is here.'),
  CLI_USAGE: entry(400, 'A command was called with wrong arguments.'),
  USER_NOT_FOUND: entry(404, 'No person with that username has logged in to sigil.'),
  DEX_IMPORT_REFUSED: entry(
    400,
    '`sigil import dex` refused a Dex database (unknown schema version, a half-written database, a row it cannot read): nothing was imported.',
  ),
  ELEVATION_REFUSED: entry(
    403,
    'An elevation request, approval, denial or ending was refused (not eligible, a bad duration or reason, an own request, already decided, expired, no fresh second factor); its `reason` says which. Nothing was granted.',
  ),
  DEX_SOURCE_UNAVAILABLE: entry(503, 'The Dex database to import from cannot be opened.'),
} as const satisfies Record<string, { status: number; description: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly expose: boolean;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = options?.status ?? ERROR_CODES[code].status;
    this.expose = this.status < 500;
  }

  /** oidc-provider and some Koa middleware read `statusCode` rather than `status`. */
  get statusCode(): number {
    return this.status;
  }
}

export function isAppError(err: unknown, code?: ErrorCode): err is AppError {
  return err instanceof AppError && (code === undefined || err.code === code);
}

/** The message of anything thrown, without its stack. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
