import { loadConfig, type Config } from '../config/index.js';
import { AppError } from '../errors.js';

/** `--config`, else SIGIL_CONFIG; undefined when neither names a file. */
export function configFile(given: string | undefined): string | undefined {
  const f = given ?? process.env['SIGIL_CONFIG'];
  return f === undefined || f === '' ? undefined : f;
}

/**
 * The loaded configuration of a command that cannot run without one (every command but
 * `serve` and `migrate`, which fall back to the zero-config dev setup).
 */
export function requireConfig(
  command: string,
  given: string | undefined,
): { readonly file: string; readonly config: Config } {
  const file = configFile(given);
  if (file === undefined)
    throw new AppError('CLI_USAGE', `sigil ${command} needs --config (or SIGIL_CONFIG)`);
  return { file, config: loadConfig(file) };
}
