-- Login throttling and the audit trail (issue 6). Append-only like every migration.

-- Failed-login counters, one row per (scope, key): scope 'user' keys a normalised username,
-- scope 'ip' a client address. Every replica reads and writes the same rows, so a lockout
-- holds across replicas. Rows whose window and lockout have passed are pruned.
CREATE TABLE login_throttle (
  scope        text        NOT NULL CHECK (scope IN ('user', 'ip')),
  key          text        NOT NULL,
  failures     integer     NOT NULL,
  window_start timestamptz NOT NULL,
  last_failure timestamptz NOT NULL,
  locked_until timestamptz,
  PRIMARY KEY (scope, key)
);
CREATE INDEX login_throttle_last_failure ON login_throttle (last_failure);

-- Who did what, when: logins, token issues, refreshes, revocations, logouts, key rotations,
-- admin actions. Never a password, a secret or a whole token. Rows are only ever inserted
-- (an UPDATE is refused below) and deleted by the retention pruning.
CREATE TABLE audit_events (
  id        bigserial   PRIMARY KEY,
  at        timestamptz NOT NULL DEFAULT now(),
  event     text        NOT NULL,
  outcome   text        NOT NULL CHECK (outcome IN ('success', 'failure', 'locked', 'denied')),
  username  text,
  sub       text,
  client_id text,
  ip        text,
  reason    text,
  details   jsonb       NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_username ON audit_events (lower(username), at);
CREATE INDEX audit_events_client_id ON audit_events (client_id, at);

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
