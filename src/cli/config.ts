import { configSchema, loadConfig, renderConfigReference } from '../config/index.js';
import type { CommandResult } from './result.js';

/** `sigil config check <file>`: every problem, or one line saying what the file sets up. */
export function configCheck(file: string): Promise<CommandResult> {
  const config = loadConfig(file);
  const connectors = config.connectors.length + (config.enablePasswordDB ? 1 : 0);
  return Promise.resolve({
    exitCode: 0,
    stdout: `${file}: ok (issuer ${config.issuer}, ${config.staticClients.length} client(s), ${connectors} connector(s))\n`,
  });
}

/** `sigil config docs`: the configuration reference, generated from the schema. */
export function configDocs(): Promise<CommandResult> {
  return Promise.resolve({ exitCode: 0, stdout: renderConfigReference(configSchema) });
}
