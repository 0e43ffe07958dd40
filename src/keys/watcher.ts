import { errorMessage } from '../errors.js';
import { startPeriodic } from '../lib/index.js';
import type { Db } from '../storage/index.js';
import type { KeyEventListener } from './events.js';
import { keySetVersion, loadKeySet, type KeySealer, type KeySet } from './keystore.js';
import type { KeyPolicy } from './policy.js';
import { maintainKeys } from './rotation.js';

/**
 * Every replica runs this: each `policy.pollMs` it tries a due rotation (only one replica
 * gets the lock) and checks the key set version, a cheap query. When the version changed,
 * here or on another replica, it loads the new key set and hands it to `onKeySet`, which
 * rebuilds the provider. A database outage only delays this: the current keys keep serving.
 */
export interface KeyWatcherLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface KeyWatcherOptions {
  readonly db: Db;
  readonly sealer: KeySealer;
  readonly policy: KeyPolicy;
  /** Version of the key set already served (KeySet.version). */
  readonly version: string;
  readonly onKeySet: (set: KeySet) => void;
  readonly onEvent?: KeyEventListener;
  readonly log: KeyWatcherLogger;
}

export interface KeyWatcher {
  /** One pass now (tests; the timer calls it too). Never throws. */
  tick(): Promise<void>;
  /** Stops the timer and waits for a pass in progress. */
  stop(): Promise<void>;
}

export function startKeyWatcher(opts: KeyWatcherOptions): KeyWatcher {
  const { db, sealer, policy, log } = opts;
  let version = opts.version;
  let failing = false;

  const pass = async (): Promise<void> => {
    try {
      await maintainKeys(
        db,
        sealer,
        policy,
        opts.onEvent === undefined ? {} : { onEvent: opts.onEvent },
      );
      const now = await keySetVersion(db);
      if (now !== version) {
        const set = await loadKeySet(db, sealer);
        opts.onKeySet(set);
        version = now;
        log.info(
          { kid: set.active.kid, published: set.published.map((k) => k.kid) },
          'signing key set changed',
        );
      }
      if (failing) log.info({}, 'key maintenance works again');
      failing = false;
    } catch (err) {
      if (!failing)
        log.warn({ err: errorMessage(err) }, 'key maintenance failed; current keys keep serving');
      failing = true;
    }
  };

  return startPeriodic(pass, policy.pollMs);
}
