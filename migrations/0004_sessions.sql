-- Sessions (issue 14): one row per login, i.e. per oidc-provider grant (a refresh-token family
-- keeps its grant). `id` is the session id (`sid` claim, src/oidc/session-id.ts). Rows are
-- ended (ended_at, end_reason, ended_by), never updated otherwise except the coalesced last use.
CREATE TABLE login_sessions (
  id                 text        PRIMARY KEY,
  grant_id           text        NOT NULL UNIQUE,
  sub                text        NOT NULL,
  connector_id       text        NOT NULL,
  username           text        NOT NULL,
  client_id          text        NOT NULL,
  audiences          jsonb       NOT NULL DEFAULT '[]'::jsonb,
  grant_type         text        NOT NULL,
  amr                jsonb,
  user_agent         text,
  device             text        NOT NULL,
  ip_first           text,
  ip_last            text,
  browser_session    text,
  created_at         timestamptz NOT NULL DEFAULT now(),
  last_used_at       timestamptz NOT NULL DEFAULT now(),
  idle_expires_at    timestamptz,
  expires_at         timestamptz NOT NULL,
  ended_at           timestamptz,
  end_reason         text,
  ended_by           jsonb
);
CREATE INDEX login_sessions_sub ON login_sessions (sub, last_used_at DESC);
CREATE INDEX login_sessions_username ON login_sessions (lower(username));
CREATE INDEX login_sessions_client ON login_sessions (client_id);
CREATE INDEX login_sessions_expires ON login_sessions (expires_at);
