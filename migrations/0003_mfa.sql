-- Multi-factor login (issue 13): second factors, recovery codes, WebAuthn challenges.
-- Append-only like every migration. Keyed by the person's stable sub and connector.

-- One row per factor. A row whose confirmed_at is NULL is an enrollment that was never
-- finished (the browser closed before the first code): it never counts as a factor and is
-- replaced by the next enrollment or deleted by the garbage collection.
CREATE TABLE mfa_factors (
  id            text        PRIMARY KEY,
  sub           text        NOT NULL,
  connector_id  text        NOT NULL,
  kind          text        NOT NULL CHECK (kind IN ('totp', 'webauthn')),
  name          text        NOT NULL,
  -- TOTP: the shared secret (base32), sealed like the signing keys when `encrypted`.
  secret        text,
  encrypted     boolean     NOT NULL DEFAULT false,
  -- TOTP: the last accepted time step; only a later step is accepted (no replay).
  last_step     bigint,
  -- WebAuthn: credential id and COSE public key (base64url), the signature counter.
  credential_id text,
  public_key    text,
  sign_count    bigint      NOT NULL DEFAULT 0,
  transports    jsonb,
  -- WebAuthn: 'singleDevice' (a security key: amr hwk) or 'multiDevice' (a synced passkey: swk).
  device_type   text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  confirmed_at  timestamptz,
  last_used_at  timestamptz,
  CHECK (kind <> 'totp' OR secret IS NOT NULL),
  CHECK (kind <> 'webauthn' OR (credential_id IS NOT NULL AND public_key IS NOT NULL))
);
CREATE INDEX mfa_factors_sub ON mfa_factors (sub, connector_id);
CREATE UNIQUE INDEX mfa_factors_credential_id ON mfa_factors (credential_id)
  WHERE credential_id IS NOT NULL;

-- Recovery codes: ten single-use codes per person, stored hashed, shown once.
CREATE TABLE mfa_recovery_codes (
  sub          text        NOT NULL,
  connector_id text        NOT NULL,
  code_hash    text        NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  used_at      timestamptz,
  PRIMARY KEY (sub, connector_id, code_hash)
);

-- WebAuthn challenges handed out and not yet answered: each is taken once (DELETE ...
-- RETURNING), so an answer cannot be replayed on this or another replica.
CREATE TABLE mfa_challenges (
  challenge  text        PRIMARY KEY,
  sub        text        NOT NULL,
  purpose    text        NOT NULL CHECK (purpose IN ('register', 'authenticate')),
  expires_at timestamptz NOT NULL
);
CREATE INDEX mfa_challenges_expires_at ON mfa_challenges (expires_at);
