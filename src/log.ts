import pino, { type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Paths pino blanks out wherever they appear. Belt and braces: the code never logs these on
 * purpose, the redaction catches the accident.
 */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'bindPW',
  '*.bindPW',
  'secret',
  '*.secret',
  'client_secret',
  '*.client_secret',
  'code',
  '*.code',
  'refresh_token',
  '*.refresh_token',
  'access_token',
  '*.access_token',
  'id_token',
  '*.id_token',
  'token',
  '*.token',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

export interface LogOptions {
  level: string;
  format: 'json' | 'text' | 'auto';
  /** Where lines go; defaults to stdout. Tests pass a stream to read their own logs. */
  destination?: NodeJS.WritableStream;
}

/** The request fields we log: never headers, never the query string (it can carry codes). */
export function requestSerializer(req: {
  method?: string;
  url?: string;
  remoteAddress?: string;
}): Record<string, unknown> {
  return { method: req.method, path: stripQuery(req.url), remoteAddress: req.remoteAddress };
}

export function stripQuery(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

export function createLogger(opts: LogOptions): Logger {
  const options: LoggerOptions = {
    level: opts.level,
    base: { service: 'sigil' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { req: requestSerializer, err: pino.stdSerializers.err },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  const pretty =
    opts.format === 'text' ||
    (opts.format === 'auto' && opts.destination === undefined && process.stdout.isTTY);
  if (pretty) {
    return pino({
      ...options,
      transport: {
        target: 'pino-pretty',
        options: { colorize: true, translateTime: 'SYS:HH:MM:ss' },
      },
    });
  }
  return opts.destination === undefined ? pino(options) : pino(options, opts.destination);
}
