import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * The dependency rules of `npm run lint` (.dependency-cruiser.cjs) hold: the tree as it is
 * passes, and a new upward import or an import cycle fails. Each case cruises a copy of src/
 * with one change, as `npm run lint:deps` would.
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CRUISER = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruiser.mjs');

interface Violation {
  readonly from: string;
  readonly to: string;
  readonly rule: { readonly name: string };
}

let copies: string[] = [];

/** A copy of src/ (and what the cruiser reads) with `files` written over it. */
function copyWith(files: Readonly<Record<string, string>>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sigil-deps-'));
  copies.push(dir);
  cpSync(join(ROOT, 'src'), join(dir, 'src'), { recursive: true });
  for (const f of ['tsconfig.json', '.dependency-cruiser.cjs']) cpSync(join(ROOT, f), join(dir, f));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  for (const [path, text] of Object.entries(files)) writeFileSync(join(dir, path), text);
  return dir;
}

async function violations(dir: string): Promise<Violation[]> {
  const run = promisify(execFile);
  const args = [CRUISER, 'src', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'];
  let stdout: string;
  try {
    ({ stdout } = await run(process.execPath, args, { cwd: dir, maxBuffer: 64 << 20 }));
  } catch (err) {
    // The cruiser exits non-zero when it finds violations; its report is still on stdout.
    stdout = (err as { stdout: string }).stdout;
  }
  const report = JSON.parse(stdout) as { summary: { violations: Violation[] } };
  return report.summary.violations;
}

afterEach(() => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
  copies = [];
});

describe('dependency rules (npm run lint:deps)', () => {
  it('pass on the tree as it is', async () => {
    expect(await violations(copyWith({}))).toEqual([]);
  });

  it('fail on an upward import: storage importing oidc', async () => {
    const dir = copyWith({
      'src/storage/upward.ts':
        "import { buildProvider } from '../oidc/index.js';\nexport const up = buildProvider;\n",
    });
    expect(await violations(dir)).toContainEqual(
      expect.objectContaining({
        from: 'src/storage/upward.ts',
        to: 'src/oidc/index.ts',
        rule: expect.objectContaining({ name: 'layer-adapters-upward' }),
      }),
    );
  });

  it('fail on a sideways import between folders of one layer, and on one past an index', async () => {
    const dir = copyWith({
      'src/keys/sideways.ts':
        "import { createAudit } from '../security/audit.js';\nexport const side = createAudit;\n",
    });
    const names = (await violations(dir)).map((v) => v.rule.name);
    expect(names).toContain('layer-services-sideways');
    expect(names).toContain('through-folder-index');
  });

  it('fail on an import cycle', async () => {
    const dir = copyWith({
      'src/lib/cycle-a.ts':
        "import { b } from './cycle-b.js';\nexport const a = (): number => b();\n",
      'src/lib/cycle-b.ts':
        "import { a } from './cycle-a.js';\nexport const b = (): number => a();\n",
    });
    expect(await violations(dir)).toContainEqual(
      expect.objectContaining({
        from: 'src/lib/cycle-a.ts',
        rule: expect.objectContaining({ name: 'no-circular' }),
      }),
    );
  });

  it('keep lib free of the rest of src', async () => {
    const dir = copyWith({
      'src/lib/leak.ts':
        "import { AppError } from '../errors.js';\nexport const leak = AppError;\n",
    });
    expect((await violations(dir)).map((v) => v.rule.name)).toContain('layer-lib-upward');
  });
});
