import { LOG_LEVELS, loadConfigNoted, type Config } from '../config/index.js';
import { AppError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { startServer, type RunningServer } from '../server/index.js';
import { devBanner } from './banner.js';
import { prepareDev } from './dev.js';
import { configFile } from './require-config.js';
import { OK, type CommandResult } from './result.js';

/** The config's logger; SIGIL_LOG_LEVEL, when set and not empty, overrides the level. */
export function loggerFor(config: Config): Logger {
  const fromEnv = process.env['SIGIL_LOG_LEVEL'] ?? '';
  if (fromEnv !== '' && !(LOG_LEVELS as readonly string[]).includes(fromEnv))
    throw new AppError(
      'CONFIG_INVALID',
      `SIGIL_LOG_LEVEL=${fromEnv.slice(0, 40)}: expected one of ${LOG_LEVELS.join(', ')}`,
    );
  return createLogger({
    level: fromEnv === '' ? config.logger.level : fromEnv,
    format: config.logger.format,
  });
}

/** `sigil serve`: runs until SIGTERM or SIGINT, then drains and exits. */
export async function serve(o: { config?: string | undefined }): Promise<CommandResult> {
  const file = configFile(o.config);
  const dev = file === undefined ? await prepareDev() : undefined;
  const loaded = dev === undefined ? loadConfigNoted(file ?? '') : undefined;
  const config = dev?.config ?? loaded?.config;
  if (config === undefined) throw new AppError('CONFIG_NOT_FOUND', 'no configuration');
  const log = loggerFor(config);
  // Dex keys that run, but not as in Dex (`sigil config check --from-dex` lists them too).
  for (const note of loaded?.notes ?? [])
    log.warn({ key: note.path }, `config: ${note.path}: ${note.message}`);
  if (config.dev)
    log.warn(
      'development setup: generated CA, embedded database, demo user; do not use in production',
    );
  const server = await startServer({
    config,
    log,
    onListening: () => {
      if (dev !== undefined)
        process.stdout.write(
          devBanner({ issuer: config.issuer, caFile: dev.caFile, password: dev.password }),
        );
    },
  });
  stopOnSignals(server, log);
  return OK;
}

function stopOnSignals(server: RunningServer, log: Logger): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: draining requests');
    server.close().then(
      () => {
        log.info('stopped');
        log.flush();
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
    setTimeout(() => {
      process.exit(1);
    }, 15_000).unref();
  };
  process.once('SIGTERM', () => {
    stop('SIGTERM');
  });
  process.once('SIGINT', () => {
    stop('SIGINT');
  });
}
