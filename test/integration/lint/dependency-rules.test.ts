import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

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

afterAll(() => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
  copies = [];
});

/** Each addition breaks one rule; one cruise of a copy that has them all sees every one. */
const BROKEN: Readonly<Record<string, string>> = {
  // upward: storage importing oidc
  'src/storage/upward.ts':
    "import { buildProvider } from '../oidc/index.js';\nexport const up = buildProvider;\n",
  // sideways between folders of one layer, and past the folder's index
  'src/keys/sideways.ts':
    "import { createAudit } from '../security/audit.js';\nexport const side = createAudit;\n",
  // a cycle
  'src/lib/cycle-a.ts': "import { b } from './cycle-b.js';\nexport const a = (): number => b();\n",
  'src/lib/cycle-b.ts': "import { a } from './cycle-a.js';\nexport const b = (): number => a();\n",
  // lib reaching into the rest of src
  'src/lib/leak.ts': "import { AppError } from '../errors.js';\nexport const leak = AppError;\n",
};

describe('dependency rules (npm run lint:deps)', () => {
  let broken: Violation[];
  beforeAll(async () => {
    broken = await violations(copyWith(BROKEN));
  });
  const rulesFrom = (file: string) => broken.filter((v) => v.from === file).map((v) => v.rule.name);

  it('pass on the tree as it is', async () => {
    expect(await violations(copyWith({}))).toEqual([]);
  });

  it('fail on an upward import: storage importing oidc', () => {
    expect(broken).toContainEqual(
      expect.objectContaining({
        from: 'src/storage/upward.ts',
        to: 'src/oidc/index.ts',
        rule: expect.objectContaining({ name: 'layer-adapters-upward' }),
      }),
    );
  });

  it('fail on a sideways import between folders of one layer, and on one past an index', () => {
    const names = rulesFrom('src/keys/sideways.ts');
    expect(names).toContain('layer-services-sideways');
    expect(names).toContain('through-folder-index');
  });

  it('fail on an import cycle', () => {
    expect(rulesFrom('src/lib/cycle-a.ts')).toContain('no-circular');
  });

  it('keep lib free of the rest of src', () => {
    expect(rulesFrom('src/lib/leak.ts')).toContain('layer-lib-upward');
  });

  it('report nothing else about the copy: every violation comes from an added file', () => {
    const added = new Set(Object.keys(BROKEN));
    expect(broken.filter((v) => !added.has(v.from))).toEqual([]);
  });
});
