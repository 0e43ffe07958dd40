-- What `sigil import dex` brings over from a Dex database (issue 17). Append-only like every
-- migration. One import runs in one transaction; running it again changes nothing.

-- Dex's keys join signing_keys as `retired` keys (published, never signing, removed on sigil's
-- schedule). Dex's older verification keys have no private half: `public_only` rows are
-- published in the JWKS by sigil itself (oidc-provider takes only private keys) and their
-- private_jwk is ''. `origin` says where a key came from ('dex'); NULL for sigil's own.
ALTER TABLE signing_keys ADD COLUMN public_only boolean NOT NULL DEFAULT false;
ALTER TABLE signing_keys ADD COLUMN origin text;

-- Clients created through Dex's gRPC API (Dex's `client` table). The secret is sealed like
-- private keys (keys.encryptionSecret) when a secret is configured.
CREATE TABLE dex_clients (
  id             text        PRIMARY KEY,
  secret         text        NOT NULL,
  encrypted      boolean     NOT NULL DEFAULT false,
  redirect_uris  jsonb       NOT NULL,
  trusted_peers  jsonb       NOT NULL,
  public         boolean     NOT NULL,
  name           text        NOT NULL,
  logo_url       text        NOT NULL,
  imported_at    timestamptz NOT NULL DEFAULT now()
);

-- Users of Dex's password DB (`enablePasswordDB`), bcrypt hashes as Dex stored them. They log
-- in through the password DB connector (`local`) after the users of staticPasswords.
CREATE TABLE dex_passwords (
  email              text        PRIMARY KEY,
  hash               text        NOT NULL,
  username           text        NOT NULL,
  preferred_username text        NOT NULL,
  user_id            text        NOT NULL UNIQUE,
  name               text        NOT NULL,
  email_verified     boolean     NOT NULL,
  groups             jsonb       NOT NULL,
  imported_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dex_passwords_username ON dex_passwords (username);

-- Dex's live refresh tokens. `token_hash` is sha256 of the secret half of the token a client
-- holds (never the secret itself). The first time a client presents one, it becomes a sigil
-- refresh token of a new grant (`claimed_at`, `grant_id`); from then on it is sigil's, and a
-- second use is a reuse like any other.
CREATE TABLE dex_refresh_tokens (
  id             text        PRIMARY KEY,
  token_hash     text        NOT NULL,
  client_id      text        NOT NULL,
  user_id        text        NOT NULL,
  connector_id   text        NOT NULL,
  scopes         jsonb       NOT NULL,
  nonce          text        NOT NULL,
  claims         jsonb       NOT NULL,
  connector_data jsonb,
  created_at     timestamptz NOT NULL,
  last_used      timestamptz NOT NULL,
  imported_at    timestamptz NOT NULL DEFAULT now(),
  claimed_at     timestamptz,
  grant_id       text
);
