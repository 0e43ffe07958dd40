import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { AppError } from '../errors.js';
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

/** Thrown by loadConfig: every problem, each with its path. */
export class ConfigError extends AppError {
  readonly problems: readonly ConfigProblem[];
  constructor(source: string, problems: readonly ConfigProblem[]) {
    super(
      'CONFIG_INVALID',
      `${source}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`,
    );
    this.problems = problems;
  }
}

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

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

function zodProblems(error: z.ZodError): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        out.push({ path: fmtPath([...issue.path, key]), message: 'unknown key' });
      continue;
    }
    out.push({ path: fmtPath(issue.path), message: issue.message });
  }
  return out;
}

/** Deep-freezes a validated config (fastify's rule: configuration does not change after start). */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Parses and validates YAML text; `source` names it in messages. */
export function parseConfig(
  text: string,
  source: string,
  env: NodeJS.ProcessEnv,
  baseDir: string,
): Config {
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
  const problems: ConfigProblem[] = [];
  const resolved = resolveSecrets(raw, env, baseDir, problems);
  const result = configSchema.safeParse(resolved);
  if (!result.success) problems.push(...zodProblems(result.error));
  else if (result.data.enablePasswordDB)
    problems.push(...validateStaticUsers(result.data.staticPasswords));
  if (problems.length > 0 || !result.success) throw new ConfigError(source, problems);
  return deepFreeze(result.data);
}

/** Reads, validates and freezes the configuration file. */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Config {
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
  return parseConfig(text, file, env, dirname(resolve(file)));
}
