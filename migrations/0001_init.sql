-- sigil's first schema. Migrations are append-only: never edit this file after it is merged;
-- add migrations/NNNN_name.sql instead. Each file runs in one transaction (src/storage/migrate.ts).

-- oidc-provider's models (Session, AccessToken, Grant, Interaction, ...), one row per instance.
-- Credential-bearing models are stored under sha256(id) (src/storage/adapter.ts).
CREATE TABLE oidc_payload (
  kind        text        NOT NULL,
  id          text        NOT NULL,
  payload     jsonb       NOT NULL,
  grant_id    text,
  uid         text,
  user_code   text,
  expires_at  timestamptz,
  consumed_at timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (kind, id)
);
CREATE INDEX oidc_payload_grant_id ON oidc_payload (grant_id);
CREATE INDEX oidc_payload_uid ON oidc_payload (uid) WHERE uid IS NOT NULL;
CREATE INDEX oidc_payload_user_code ON oidc_payload (kind, user_code) WHERE user_code IS NOT NULL;
CREATE INDEX oidc_payload_expires_at ON oidc_payload (expires_at);

-- Token signing keys: next -> active -> retired (published until remove_after), or revoked.
CREATE TABLE signing_keys (
  kid          text        PRIMARY KEY,
  alg          text        NOT NULL,
  state        text        NOT NULL CHECK (state IN ('next', 'active', 'retired', 'revoked')),
  public_jwk   jsonb       NOT NULL,
  private_jwk  text        NOT NULL,
  encrypted    boolean     NOT NULL DEFAULT false,
  created_at   timestamptz NOT NULL DEFAULT now(),
  activated_at timestamptz,
  retired_at   timestamptz,
  remove_after timestamptz
);
-- At most one key signs at a time.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys ((true)) WHERE state = 'active';

-- What connectors returned about a person at their last login or refresh, by stable sub.
CREATE TABLE identities (
  sub            text        PRIMARY KEY,
  connector_id   text        NOT NULL,
  username       text        NOT NULL,
  claims         jsonb       NOT NULL,
  connector_data jsonb,
  updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Process-wide secrets shared by all replicas (cookie-signing keys, ...).
CREATE TABLE secrets (
  name       text        PRIMARY KEY,
  value      text        NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
