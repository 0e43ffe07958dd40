/**
 * What happened to a signing key, for logs and the audit trail. Key operations take an
 * optional `onEvent` callback and call it once per change, after the change committed.
 */
export type KeyEventType =
  | 'key.created'
  | 'key.activated'
  | 'key.retired'
  | 'key.removed'
  | 'key.revoked'
  | 'key.reencrypted';

export interface KeyEvent {
  readonly type: KeyEventType;
  readonly kid: string;
  /** Why: `schedule` (rotation period), `manual` (CLI), `startup`, `revocation`, `config` (algorithm changed). */
  readonly reason: 'schedule' | 'manual' | 'startup' | 'revocation' | 'config';
  /** For key.revoked: how many refresh-token grants and sessions were ended. */
  readonly grantsRevoked?: number;
  readonly sessionsEnded?: number;
}

export type KeyEventListener = (event: KeyEvent) => void;

/** Calls the listener for each event; a throwing listener never undoes a committed change. */
export function emitAll(listener: KeyEventListener | undefined, events: readonly KeyEvent[]): void {
  if (listener === undefined) return;
  for (const e of events) {
    try {
      listener(e);
    } catch {
      // The change is committed; a broken listener (audit sink) must not turn it into a failure.
    }
  }
}
