import { adaptClients, adaptConnectors, adaptPasswords } from './clients.js';
import { expandDexEnv } from './env.js';
import { adaptFrontend, adaptOAuth2 } from './frontend.js';
import {
  adaptExpiryLogger,
  adaptSessionsMfa,
  adaptSigner,
  adaptStorage,
  adaptTelemetryGrpc,
  adaptWeb,
} from './server.js';
import { Findings, type JsonObject } from './tree.js';

export { Findings, type Finding, type Json, type JsonObject } from './tree.js';

/**
 * Dex's configuration file as it is: every key of Dex's config reference that sigil does not
 * share is honoured the way Dex does (turned into sigil's key here), noted (it runs, but not
 * exactly as in Dex), or refused with what to do instead. Runs on the raw YAML tree, before
 * sigil's own schema, on every config file; `fromDex` (`sigil config check --from-dex`) adds
 * notes on defaults that differ from Dex's.
 */
export function adaptDexConfig(
  raw: JsonObject,
  env: NodeJS.ProcessEnv,
  fromDex = false,
): { tree: JsonObject; findings: Findings } {
  const tree = structuredClone(raw);
  const found = new Findings();
  expandDexEnv(tree, env, found);
  adaptStorage(tree, found);
  adaptWeb(tree, found);
  adaptTelemetryGrpc(tree, found);
  adaptExpiryLogger(tree, found);
  adaptSigner(tree, found);
  adaptSessionsMfa(tree, found);
  adaptFrontend(tree, found);
  adaptOAuth2(tree, found, fromDex);
  adaptConnectors(tree, found, fromDex);
  adaptClients(tree, env, found);
  adaptPasswords(tree, env, found);
  return { tree, findings: found };
}
