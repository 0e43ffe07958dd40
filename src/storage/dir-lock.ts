import { randomBytes } from 'node:crypto';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { AppError, errorMessage } from '../errors.js';

/**
 * An exclusive lock on a data directory, held by one process: a `sigil.lock` file holding
 * `{pid, hostname, startedAt}`. PGlite itself does nothing to stop two processes from opening
 * the same directory (which corrupts it), so sigil refuses to start on a locked directory.
 *
 * A lock is honoured when its process is alive on this host. It is stale, and taken over, when
 * its pid is dead, when it names another host (a container restarted under a new hostname;
 * a data directory shared between hosts is not supported), or when it carries our own pid but
 * predates this process (a container restarted with the same pid 1).
 */
export const LOCK_FILE = 'sigil.lock';

export interface LockOwner {
  readonly pid: number;
  readonly hostname: string;
  readonly startedAt: string;
}

export interface DirLock {
  readonly path: string;
  /** The stale lock this one replaced, for the caller to log. */
  readonly tookOverFrom?: LockOwner;
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): Promise<void>;
}

export async function acquireDirLock(dir: string): Promise<DirLock> {
  const path = join(dir, LOCK_FILE);
  const me: LockOwner = {
    pid: process.pid,
    hostname: hostname(),
    startedAt: new Date().toISOString(),
  };
  let tookOverFrom: LockOwner | undefined;
  // A few rounds: a stale lock is removed and the creation retried; another process may win.
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await createExclusive(path, me)) {
      let released = false;
      return {
        path,
        ...(tookOverFrom === undefined ? {} : { tookOverFrom }),
        async release() {
          if (released) return;
          released = true;
          const current = await readOwner(path);
          if (
            current !== undefined &&
            current.pid === me.pid &&
            current.startedAt === me.startedAt
          ) {
            await unlink(path).catch(() => undefined);
          }
        },
      };
    }
    const owner = await readOwner(path);
    if (owner !== undefined && holdsLock(owner)) {
      throw new AppError(
        'DATA_DIR_LOCKED',
        `another sigil process (pid ${owner.pid}) is using ${dir}; stop it or use another storage.config.dataDir ` +
          `(if no sigil is running, delete ${path})`,
      );
    }
    tookOverFrom = owner ?? tookOverFrom;
    await unlink(path).catch((err: unknown) => {
      if (!isErrno(err, 'ENOENT')) throw lockError(path, err);
    });
  }
  throw new AppError(
    'DATA_DIR_LOCKED',
    `cannot take the lock ${path}: other processes keep taking it`,
  );
}

/**
 * Creates the lock file with its whole content at once: written to a private temporary file,
 * then hard-linked into place, which fails if the lock exists (O_EXCL semantics without a
 * window in which another process could read a half-written file).
 */
async function createExclusive(path: string, me: LockOwner): Promise<boolean> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, `${JSON.stringify(me)}\n`, { flag: 'wx', mode: 0o600 });
    await link(tmp, path);
    return true;
  } catch (err) {
    if (isErrno(err, 'EEXIST')) return false;
    throw lockError(path, err);
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/** True when `owner` is a live process other than this one, on this host. */
function holdsLock(owner: LockOwner): boolean {
  if (owner.hostname !== hostname()) return false;
  if (owner.pid === process.pid) {
    // Ours only if taken after this process started (this process holds it already).
    const processStart = Date.now() - process.uptime() * 1000;
    return Date.parse(owner.startedAt) >= processStart - 1000;
  }
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return isErrno(err, 'EPERM');
  }
}

async function readOwner(path: string): Promise<LockOwner | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return undefined;
    const { pid, hostname: host, startedAt } = value as Record<string, unknown>;
    if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return undefined;
    if (typeof host !== 'string' || typeof startedAt !== 'string') return undefined;
    return { pid, hostname: host, startedAt };
  } catch {
    return undefined;
  }
}

function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && err.code === code;
}

function lockError(path: string, err: unknown): AppError {
  return new AppError('DATA_DIR_LOCKED', `cannot create the lock ${path}: ${errorMessage(err)}`, {
    cause: err,
  });
}
