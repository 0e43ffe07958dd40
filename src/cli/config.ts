import {
  ConfigError,
  configSchema,
  loadConfigNoted,
  renderConfigReference,
  type Config,
  type ConfigProblem,
} from '../config/index.js';
import type { CommandResult } from './result.js';

const summary = (file: string, config: Config): string => {
  const connectors = config.connectors.length + (config.enablePasswordDB ? 1 : 0);
  return `${file}: ok (issuer ${config.issuer}, ${config.staticClients.length} client(s), ${connectors} connector(s))`;
};

const lines = (label: string, items: readonly ConfigProblem[]): string[] =>
  items.map((i) => `  ${label} ${i.path}: ${i.message}`);

/**
 * `sigil config check <file>`: every problem, or one line saying what the file sets up.
 * With `--from-dex`: Dex's file, key by key: the notes (what runs differently) and, when
 * something must change first, each such key (exit 1).
 */
export function configCheck(
  file: string,
  opts: { fromDex?: boolean } = {},
): Promise<CommandResult> {
  if (opts.fromDex !== true) {
    const { config } = loadConfigNoted(file);
    return Promise.resolve({ exitCode: 0, stdout: `${summary(file, config)}\n` });
  }
  try {
    const { config, notes } = loadConfigNoted(file, process.env, true);
    const out = [
      `${summary(file, config)}: sigil can run this Dex configuration as it is.`,
      ...(notes.length === 0
        ? []
        : [`${notes.length} difference(s) from Dex:`, ...lines('note', notes)]),
    ];
    return Promise.resolve({ exitCode: 0, stdout: `${out.join('\n')}\n` });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const out = [
      `${file}: ${err.problems.length} key(s) must change before sigil can run this Dex configuration:`,
      ...lines('change', err.problems),
      ...(err.notes.length === 0
        ? []
        : [`and ${err.notes.length} difference(s) from Dex:`, ...lines('note', err.notes)]),
    ];
    return Promise.resolve({
      exitCode: 1,
      stdout: `${out.join('\n')}\n`,
      notes: [`${file}: ${err.problems.length} key(s) must change first (listed above)`],
    });
  }
}

/** `sigil config docs`: the configuration reference, generated from the schema. */
export function configDocs(): Promise<CommandResult> {
  return Promise.resolve({ exitCode: 0, stdout: renderConfigReference(configSchema) });
}
