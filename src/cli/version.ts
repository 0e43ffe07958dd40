import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';
import type { CommandResult } from './result.js';

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** `sigil version`. */
export function version(): Promise<CommandResult> {
  return Promise.resolve({ exitCode: 0, stdout: `sigil ${packageVersion()}\n` });
}
