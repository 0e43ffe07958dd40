import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The directory holding package.json, views/ and migrations/, found by walking up from this
 * file: src/paths.ts under vitest, dist/paths.js when built, both one level below it.
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'views'))) return dir;
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error('cannot find the sigil package root (package.json + views/)');
    dir = parent;
  }
}
