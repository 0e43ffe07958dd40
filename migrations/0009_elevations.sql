-- Just-in-time elevation (issue 16): a person asks for a role, someone approves (or they
-- approve themselves when the role says so), and while the grant is active every id_token
-- issued to them for the role's clusters carries the role's group. Append-only like every
-- migration (0006 stays unused).
--
-- state: pending (asked, pending_until is its deadline), active (starts_at .. ends_at),
-- denied, expired (a pending request nobody decided, or an active grant that reached its
-- end), ended (ended early). Decisions are conditional UPDATEs (WHERE state = 'pending' AND
-- pending_until > now()), so approving twice or after the deadline loses atomically, on any
-- replica. sids: the logins (`sid` claims) whose id_tokens carried the group; ending the grant
-- early writes a deny entry for each (login_revocations).
CREATE TABLE login_elevations (
  id            text        PRIMARY KEY,
  sub           text        NOT NULL,
  username      text        NOT NULL,
  role          text        NOT NULL,
  group_name    text        NOT NULL,
  clusters      text[]      NOT NULL DEFAULT '{}',
  reason        text        NOT NULL,
  duration_sec  integer     NOT NULL CHECK (duration_sec > 0),
  state         text        NOT NULL
                CHECK (state IN ('pending', 'active', 'denied', 'expired', 'ended')),
  requested_at  timestamptz NOT NULL DEFAULT now(),
  pending_until timestamptz NOT NULL,
  decided_at    timestamptz,
  decided_by    jsonb,
  comment       text,
  starts_at     timestamptz,
  ends_at       timestamptz,
  ended_at      timestamptz,
  ended_by      jsonb,
  sids          text[]      NOT NULL DEFAULT '{}',
  CHECK (state <> 'active' OR (starts_at IS NOT NULL AND ends_at IS NOT NULL))
);
-- The identities read of every login and refresh looks up a person's active (and just ended)
-- grants by sub: an index on (sub, state), not only the active rows, so the just-ended ones are
-- found by index too.
CREATE INDEX login_elevations_sub ON login_elevations (sub, state);
CREATE INDEX login_elevations_pending ON login_elevations (state, pending_until)
  WHERE state = 'pending';
CREATE INDEX login_elevations_requested ON login_elevations (requested_at DESC, id);
