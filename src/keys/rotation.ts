import { LOCKS, type Db, type Queryable } from '../storage/index.js';
import { emitAll, type KeyEvent, type KeyEventListener } from './events.js';
import { generateSigningKey, insertKey, type GeneratedKey, type KeySealer } from './keystore.js';
import type { KeyPolicy } from './policy.js';

/**
 * Scheduled rotation, as Dex does it: generate the new key outside the transaction, then
 * compare-and-swap inside it (under the keys advisory lock, on one replica at a time), and
 * treat "another replica already rotated" as success.
 *
 * Rotation promotes `next` → `active` and `active` → `retired` when the active key has signed
 * for the rotation period AND the next key has been published for the lead time (counted
 * from when every replica serves it). A retired key stays published for `retainMs`, then is
 * removed. A new `next` key is created at every rotation, so one is always published.
 */
export interface KeyStatusRow {
  readonly kid: string;
  readonly alg: string;
  readonly state: string;
  /** active: it has signed for the rotation period. */
  readonly period_over: boolean;
  /** next: published long enough to sign. */
  readonly published_enough: boolean;
  /** retired: past remove_after. */
  readonly expired: boolean;
  /** active: ms until the period is over; next: ms until it is published long enough. */
  readonly wait_ms: number | null;
}

export interface RotationPlan {
  readonly promote: boolean;
  readonly createNext: boolean;
  /** No active key: the next key is promoted (or, with none, a first key is created). */
  readonly noActive: boolean;
  readonly remove: readonly string[];
  /** When nothing is due: ms until a rotation can happen (both conditions hold). */
  readonly dueInMs: number | undefined;
  readonly active: KeyStatusRow | undefined;
  readonly next: KeyStatusRow | undefined;
}

export function planRotation(rows: readonly KeyStatusRow[], force: boolean): RotationPlan {
  const active = rows.find((r) => r.state === 'active');
  const next = rows.find((r) => r.state === 'next');
  const due =
    active !== undefined &&
    next !== undefined &&
    (force || (active.period_over && next.published_enough));
  const noActive = active === undefined;
  return {
    promote: due || (noActive && next !== undefined),
    createNext: due || next === undefined || noActive,
    noActive,
    remove: rows.filter((r) => r.state === 'retired' && r.expired).map((r) => r.kid),
    dueInMs:
      due || active === undefined || next === undefined
        ? undefined
        : Math.max(0, active.wait_ms ?? 0, next.wait_ms ?? 0),
    active,
    next,
  };
}

export async function keyStatus(q: Queryable, policy: KeyPolicy): Promise<KeyStatusRow[]> {
  const { rows } = await q.query<KeyStatusRow>(
    `SELECT kid, alg, state,
            (state = 'active' AND activated_at <= now() - $1::double precision * interval '1 millisecond') AS period_over,
            (state = 'next' AND created_at <= now() - $2::double precision * interval '1 millisecond') AS published_enough,
            (state = 'retired' AND remove_after IS NOT NULL AND remove_after <= now()) AS expired,
            CASE state
              WHEN 'active' THEN extract(epoch FROM activated_at + $1::double precision * interval '1 millisecond' - now()) * 1000
              WHEN 'next' THEN extract(epoch FROM created_at + $2::double precision * interval '1 millisecond' - now()) * 1000
            END::double precision AS wait_ms
       FROM signing_keys
      WHERE state IN ('active', 'next', 'retired')`,
    [policy.rotationPeriodMs, policy.leadTimeMs + policy.propagationMs],
  );
  return rows;
}

export interface MaintainOptions {
  /** Promote the published next key now, whatever its age (`sigil keys rotate --now`). */
  readonly force?: boolean;
  /** Wait for the keys lock (CLI) instead of skipping when another replica holds it (timer). */
  readonly wait?: boolean;
  readonly onEvent?: KeyEventListener;
}

export interface MaintainResult {
  /** Another replica held the keys lock: nothing was done here. */
  readonly skipped: boolean;
  readonly activated: string | undefined;
  readonly retired: string | undefined;
  readonly created: readonly string[];
  readonly removed: readonly string[];
  /** When nothing was due: ms until the next rotation can happen. */
  readonly dueInMs: number | undefined;
  /** What was decided (under the lock when it ran there). */
  readonly plan: RotationPlan;
}

/**
 * One maintenance pass: rotate when due (or forced), create a missing next key, remove
 * retired keys past remove_after. Cheap when nothing is due (one SELECT, no lock).
 */
export async function maintainKeys(
  db: Db,
  sealer: KeySealer,
  policy: KeyPolicy,
  opts: MaintainOptions = {},
): Promise<MaintainResult> {
  const force = opts.force === true;
  const first = planRotation(await keyStatus(db, policy), force);
  const idle = (plan: RotationPlan, skipped: boolean): MaintainResult => ({
    skipped,
    activated: undefined,
    retired: undefined,
    created: [],
    removed: [],
    dueInMs: plan.dueInMs,
    plan,
  });
  if (!first.promote && !first.createNext && first.remove.length === 0) return idle(first, false);
  // Key generation (RSA especially) takes a while: do it before taking the lock.
  const fresh: GeneratedKey | undefined = first.createNext
    ? await generateSigningKey(policy.alg)
    : undefined;
  const events: KeyEvent[] = [];
  const done = await db.withAdvisoryLock(
    LOCKS.keys,
    () => db.transaction((tx) => rotateLocked(tx, { sealer, policy, force, fresh, events })),
    { wait: opts.wait === true },
  );
  if (done === undefined) return idle(first, true);
  emitAll(opts.onEvent, events);
  return { skipped: false, dueInMs: done.plan.dueInMs, ...done };
}

/** Under the keys lock: plan again on what is there now (compare and swap), then act. */
async function rotateLocked(
  tx: Queryable,
  {
    sealer,
    policy,
    force,
    fresh,
    events,
  }: {
    sealer: KeySealer;
    policy: KeyPolicy;
    force: boolean;
    fresh: GeneratedKey | undefined;
    events: KeyEvent[];
  },
) {
  const reason = force ? 'manual' : 'schedule';
  await tx.query(`SELECT 1 FROM signing_keys FOR UPDATE`);
  // Compare and swap: decide again on what is there now; another replica may have rotated.
  const plan = planRotation(await keyStatus(tx, policy), force);
  const out = {
    activated: undefined as string | undefined,
    retired: undefined as string | undefined,
    created: [] as string[],
    removed: [] as string[],
  };
  if (plan.promote && plan.next !== undefined) {
    if (plan.active !== undefined) {
      await tx.query(
        `UPDATE signing_keys
            SET state = 'retired', retired_at = now(),
                remove_after = now() + $2::double precision * interval '1 millisecond'
          WHERE kid = $1 AND state = 'active'`,
        [plan.active.kid, policy.retainMs],
      );
      out.retired = plan.active.kid;
      events.push({ type: 'key.retired', kid: plan.active.kid, reason });
    }
    await tx.query(
      `UPDATE signing_keys SET state = 'active', activated_at = now() WHERE kid = $1 AND state = 'next'`,
      [plan.next.kid],
    );
    out.activated = plan.next.kid;
    events.push({
      type: 'key.activated',
      kid: plan.next.kid,
      reason: plan.noActive ? 'startup' : reason,
    });
  } else if (plan.noActive) {
    // No key at all: the very first key signs at once (nothing can have cached a JWKS).
    const kid = await insertKey(tx, sealer, policy.alg, 'active');
    out.created.push(kid);
    out.activated = kid;
    events.push(
      { type: 'key.created', kid, reason: 'startup' },
      { type: 'key.activated', kid, reason: 'startup' },
    );
  }
  if (plan.createNext) {
    const kid = await insertKey(tx, sealer, policy.alg, 'next', fresh);
    out.created.push(kid);
    events.push({ type: 'key.created', kid, reason });
  }
  if (plan.remove.length > 0) {
    await tx.query(`DELETE FROM signing_keys WHERE state = 'retired' AND kid = ANY($1::text[])`, [
      plan.remove,
    ]);
    out.removed.push(...plan.remove);
    for (const kid of plan.remove) events.push({ type: 'key.removed', kid, reason: 'schedule' });
  }
  return { ...out, plan };
}
