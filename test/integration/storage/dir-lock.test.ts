import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAppError } from '../../../src/errors.js';
import { acquireDirLock, LOCK_FILE, openPgliteDb } from '../../../src/storage/index.js';

/**
 * The data-directory lock against real processes: a child process that holds the lock (it
 * writes sigil.lock in sigil's format and stays alive), a dead one, and this process.
 */
let dir: string;
const children: ChildProcess[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sigil-lock-'));
});
afterEach(async () => {
  for (const c of children.splice(0))
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

/** Starts a process that takes the lock in `dir` the way sigil does and keeps it until killed. */
async function holderProcess(lockDir: string): Promise<ChildProcess> {
  const code = `
    const fs = require('node:fs'); const os = require('node:os'); const path = require('node:path');
    const file = path.join(${JSON.stringify(lockDir)}, ${JSON.stringify(LOCK_FILE)});
    fs.writeFileSync(file, JSON.stringify({ pid: process.pid, hostname: os.hostname(), startedAt: new Date().toISOString() }), { flag: 'wx' });
    process.stdout.write('ready\\n');
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (status) => {
      reject(new Error(`lock holder exited with ${String(status)}`));
    });
    child.stdout.once('data', () => {
      resolve();
    });
  });
  return child;
}

async function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise((resolve) => child.once('exit', resolve));
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
}

describe('data directory lock', () => {
  it('writes {pid, hostname, startedAt}, refuses a second holder in the same process, and is removed on release', async () => {
    const lock = await acquireDirLock(dir);
    const content: unknown = JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8'));
    expect(content).toMatchObject({ pid: process.pid, hostname: hostname() });
    expect((await stat(join(dir, LOCK_FILE))).mode & 0o777).toBe(0o600);

    const err = await failure(acquireDirLock(dir));
    expect(isAppError(err, 'DATA_DIR_LOCKED')).toBe(true);

    await lock.release();
    await expect(stat(join(dir, LOCK_FILE))).rejects.toThrow();
    const again = await acquireDirLock(dir);
    expect(again.tookOverFrom).toBeUndefined();
    await again.release();
  });

  it('refuses while another live process holds it, and takes it over once that process is dead', async () => {
    const child = await holderProcess(dir);
    const err = await failure(acquireDirLock(dir));
    expect(isAppError(err, 'DATA_DIR_LOCKED')).toBe(true);
    expect((err as Error).message).toBe(
      `another sigil process (pid ${String(child.pid)}) is using ${dir}; stop it or use another storage.config.dataDir ` +
        `(if no sigil is running, delete ${join(dir, LOCK_FILE)})`,
    );
    // openPgliteDb checks the lock before it opens anything.
    expect(isAppError(await failure(openPgliteDb(dir)), 'DATA_DIR_LOCKED')).toBe(true);

    child.kill('SIGKILL');
    await exited(child);
    const lock = await acquireDirLock(dir);
    expect(lock.tookOverFrom?.pid).toBe(child.pid);
    const content: unknown = JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8'));
    expect(content).toMatchObject({ pid: process.pid });
    await lock.release();
  });

  it('takes over a lock of our own pid from before this process started (a restarted container)', async () => {
    const old = {
      pid: process.pid,
      hostname: hostname(),
      startedAt: new Date(Date.now() - 86_400_000).toISOString(),
    };
    await writeFile(join(dir, LOCK_FILE), JSON.stringify(old));
    const lock = await acquireDirLock(dir);
    expect(lock.tookOverFrom).toEqual(old);
    await lock.release();
  });

  it('takes over a lock from another host and an unreadable lock file', async () => {
    const other = { pid: 1, hostname: `not-${hostname()}`, startedAt: new Date().toISOString() };
    await writeFile(join(dir, LOCK_FILE), JSON.stringify(other));
    const lock = await acquireDirLock(dir);
    expect(lock.tookOverFrom).toEqual(other);
    await lock.release();

    await writeFile(join(dir, LOCK_FILE), 'garbage');
    const lock2 = await acquireDirLock(dir);
    expect(lock2.tookOverFrom).toBeUndefined();
    await lock2.release();
  });

  it('release leaves a lock that is no longer ours alone', async () => {
    const lock = await acquireDirLock(dir);
    const foreign = JSON.stringify({
      pid: 999_999,
      hostname: hostname(),
      startedAt: new Date().toISOString(),
    });
    await writeFile(join(dir, LOCK_FILE), foreign);
    await lock.release();
    expect(await readFile(join(dir, LOCK_FILE), 'utf8')).toBe(foreign);
  });
});
