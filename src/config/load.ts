import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { AppError } from '../errors.js';
import { adaptDexConfig, type Finding, type Json } from './dex/index.js';
import { plainMessage } from './messages.js';
import { configSchema, type Config } from './schema.js';
import { validateStaticUsers } from './schema/index.js';

/** Keys whose value may instead come from a file: `bindPWFile: /run/secrets/ldap`. */
export const FILE_SECRET_KEYS = [
  'secret',
  'bindPW',
  'password',
  'url',
  'hash',
  'encryptionSecret',
  'syncSecret',
] as const;

export interface ConfigProblem {
  path: string;
  message: string;
}

/** Thrown by loadConfig: every problem, each with its path (and the Dex notes, for check). */
export class ConfigError extends AppError {
  readonly problems: readonly ConfigProblem[];
  notes: readonly ConfigProblem[] = [];
  constructor(source: string, problems: readonly ConfigProblem[]) {
    super(
      'CONFIG_INVALID',
      `${source}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`,
    );
    this.problems = problems;
  }
}

/**
 * Resolves `${VAR}` references and `<key>File` secrets in the raw YAML tree. Problems are
 * collected, not thrown, so that one run reports everything.
 */
export function resolveSecrets(
  raw: Json,
  env: NodeJS.ProcessEnv,
  baseDir: string,
  problems: ConfigProblem[],
  path: (string | number)[] = [],
): Json {
  if (typeof raw === 'string') {
    return raw.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
      const v = env[name];
      if (v === undefined) {
        problems.push({ path: fmtPath(path), message: `environment variable ${name} is not set` });
        return '';
      }
      return v;
    });
  }
  if (Array.isArray(raw))
    return raw.map((v, i) => resolveSecrets(v, env, baseDir, problems, [...path, i]));
  if (raw === null || typeof raw !== 'object') return raw;
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(raw)) {
    const base = k.endsWith('File') ? k.slice(0, -4) : undefined;
    if (base !== undefined && (FILE_SECRET_KEYS as readonly string[]).includes(base)) {
      if (k in raw && base in raw) {
        problems.push({
          path: fmtPath([...path, k]),
          message: `set either ${base} or ${k}, not both`,
        });
        continue;
      }
      if (typeof v !== 'string') {
        problems.push({ path: fmtPath([...path, k]), message: 'expected a file path' });
        continue;
      }
      const file = resolve(
        baseDir,
        resolveSecrets(v, env, baseDir, problems, [...path, k]) as string,
      );
      try {
        out[base] = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
      } catch (err) {
        problems.push({
          path: fmtPath([...path, k]),
          message: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
        });
      }
      continue;
    }
    out[k] = resolveSecrets(v, env, baseDir, problems, [...path, k]);
  }
  return out;
}

function fmtPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
}

function zodProblems(error: z.ZodError, input: Json): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        out.push({ path: fmtPath([...issue.path, key]), message: 'unknown key' });
      continue;
    }
    out.push({ path: fmtPath(issue.path), message: plainMessage(issue, input) });
  }
  return out;
}

/**
 * The schema's problems, less those inside what the Dex adaptation refused already (a
 * refused `connectors[0].type` answers for the whole connector): one message per key.
 */
function withoutRefused(
  problems: readonly ConfigProblem[],
  refused: readonly Finding[],
): ConfigProblem[] {
  const owners = refused.map((r) => (r.path.endsWith('.type') ? r.path.slice(0, -5) : r.path));
  const inside = (path: string) =>
    owners.some((o) => path === o || path.startsWith(`${o}.`) || path.startsWith(`${o}[`));
  return problems.filter((p) => !inside(p.path));
}

/** Deep-freezes a validated config (fastify's rule: configuration does not change after start). */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** A parsed config and what in it runs differently from Dex (Dex keys noted by adaptDexConfig). */
export interface ParsedConfig {
  readonly config: Config;
  readonly notes: readonly Finding[];
}

/** Parses and validates YAML text; `source` names it in messages. */
export function parseConfig(
  text: string,
  source: string,
  env: NodeJS.ProcessEnv,
  baseDir: string,
): Config {
  return parseConfigNoted(text, source, env, baseDir).config;
}

/**
 * parseConfig, with the notes on Dex keys; `fromDex` adds notes on defaults that differ from
 * Dex's (`sigil config check --from-dex`). A ConfigError carries the notes too.
 */
export function parseConfigNoted(
  text: string,
  source: string,
  env: NodeJS.ProcessEnv,
  baseDir: string,
  fromDex = false,
): ParsedConfig {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => ({
        path: `line ${e.linePos?.[0]?.line ?? '?'}`,
        message: e.message.split('\n')[0] ?? e.message,
      })),
    );
  }
  const raw = (doc.toJS() ?? {}) as Json;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(source, [{ path: '(root)', message: 'expected a mapping of keys' }]);
  }
  const { tree, findings } = adaptDexConfig(raw, env, fromDex);
  const problems: ConfigProblem[] = [...findings.problems];
  const resolved = resolveSecrets(tree, env, baseDir, problems);
  const result = configSchema.safeParse(resolved);
  if (!result.success) {
    const schema = zodProblems(result.error, resolved).map((p) => ({
      ...p,
      path: p.path.replace(/^connectors\[(\d+)\]/, (m, j: string) => {
        const i = findings.connectorIndex[Number(j)];
        return i === undefined ? m : `connectors[${i}]`;
      }),
    }));
    problems.push(...withoutRefused(schema, findings.problems));
  } else if (result.data.enablePasswordDB)
    problems.push(...validateStaticUsers(result.data.staticPasswords));
  if (problems.length > 0 || !result.success) {
    const error = new ConfigError(source, problems);
    error.notes = findings.notes;
    throw error;
  }
  return { config: deepFreeze(result.data), notes: findings.notes };
}

/** Reads, validates and freezes the configuration file. */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Config {
  return loadConfigNoted(file, env).config;
}

/** loadConfig with the notes on Dex keys (see parseConfigNoted). */
export function loadConfigNoted(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
  fromDex = false,
): ParsedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new AppError(
      'CONFIG_NOT_FOUND',
      `cannot read config file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      { cause: err },
    );
  }
  return parseConfigNoted(text, file, env, dirname(resolve(file)), fromDex);
}
