import type { Findings } from './tree.js';
import { isObject, itemsAt, objectAt, type Json, type JsonObject } from './tree.js';

/**
 * Dex's bare `$VAR` (os.ExpandEnv); `${VAR}` is sigil's own and is resolved everywhere later.
 * `$$` is left as it is (Go would turn it into nothing).
 */
const BARE = /\$(\$|[A-Za-z_][A-Za-z0-9_]*)/g;

function expand(v: Json, env: NodeJS.ProcessEnv, path: string, found: Findings): Json {
  if (typeof v === 'string') {
    const unset = new Set<string>();
    const out = v.replace(BARE, (m, name: string) => {
      if (name === '$') return m;
      const value = env[name];
      if (value === undefined) unset.add(name);
      return value ?? '';
    });
    for (const name of unset)
      found.refuse(path, `environment variable ${name} is not set (Dex would use an empty value)`);
    return out;
  }
  if (Array.isArray(v)) return v.map((x, i) => expand(x, env, `${path}[${i}]`, found));
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) out[k] = expand(x, env, `${path}.${k}`, found);
  return out;
}

/**
 * Dex expands `$VAR` in `storage.config`, `connectors[].config` and `signer.config` (its
 * DEX_EXPAND_ENV, on by default): so does sigil, there and only there. An unset variable is a
 * problem, where Dex would silently use an empty string (an empty bindPW is an anonymous bind).
 */
export function expandDexEnv(tree: JsonObject, env: NodeJS.ProcessEnv, found: Findings): void {
  const storage = objectAt(tree, 'storage');
  const storageConfig = storage === undefined ? undefined : objectAt(storage, 'config');
  if (storage !== undefined && storageConfig !== undefined)
    storage['config'] = expand(storageConfig, env, 'storage.config', found);
  const signer = objectAt(tree, 'signer');
  const signerConfig = signer === undefined ? undefined : objectAt(signer, 'config');
  if (signer !== undefined && signerConfig !== undefined)
    signer['config'] = expand(signerConfig, env, 'signer.config', found);
  for (const [c, i] of itemsAt(tree, 'connectors')) {
    const config = objectAt(c, 'config');
    if (config !== undefined) c['config'] = expand(config, env, `connectors[${i}].config`, found);
  }
}
