import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * The agent's only way to change the file kube-apiserver reads: a temp file in the same
 * directory (mode 0600), written, flushed to disk, then renamed over the old one, so the API
 * server (which watches the file and reloads it) sees either the old or the new content,
 * never a partial or an empty file. Nothing is written when the content is the same.
 */
export async function currentContent(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Throws (with the OS's reason) when a file cannot be created in `file`'s directory: a real
 * probe (a temp file made and removed), so that read-only mounts and root-squashed or
 * immutable directories are caught as well as permissions.
 */
export async function checkWritableDir(file: string): Promise<void> {
  const dir = dirname(file);
  await access(dir, constants.W_OK | constants.X_OK);
  const probe = join(dir, `.${basename(file)}.${randomBytes(6).toString('hex')}.probe`);
  const h = await open(probe, 'wx', 0o600);
  await h.close();
  await rm(probe, { force: true });
}

/** Writes `content` atomically; answers false (and writes nothing) when it is already there. */
export async function writeIfChanged(file: string, content: string): Promise<boolean> {
  if (content.trim() === '') throw new Error('refusing to write an empty configuration');
  if ((await currentContent(file)) === content) return false;
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
    await handle.close();
    await rename(tmp, file);
  } catch (err) {
    await handle.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
  await syncDir(dirname(file));
  return true;
}

/** The rename itself reaches the disk (best effort: some filesystems refuse fsync on a directory). */
async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r').catch(() => undefined);
  await d?.sync().catch(() => undefined);
  await d?.close();
}
