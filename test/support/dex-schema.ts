/**
 * Dex's SQL schema as Dex v2.45.1 creates it: the statements of dexidp/dex
 * storage/sql/migrate.go at v2.45.1 (MySQL-only migrations left out), verbatim. Each entry is
 * one migration; `flavor` limits it to one database. Dex numbers the migrations that apply to
 * a database 1, 2, ... in this order and records them in its `migrations` table.
 */
export const DEX_MIGRATIONS: readonly {
  readonly flavor?: 'postgres' | 'sqlite';
  readonly stmts: readonly string[];
}[] = [
  {
    stmts: [
      `create table client (
id text not null primary key,
secret text not null,
redirect_uris bytea not null, -- JSON array of strings
trusted_peers bytea not null, -- JSON array of strings
public boolean not null,
name text not null,
logo_url text not null
);`,
      `create table auth_request (
id text not null primary key,
client_id text not null,
response_types bytea not null, -- JSON array of strings
scopes bytea not null,         -- JSON array of strings
redirect_uri text not null,
nonce text not null,
state text not null,
force_approval_prompt boolean not null,
logged_in boolean not null,
claims_user_id text not null,
claims_username text not null,
claims_email text not null,
claims_email_verified boolean not null,
claims_groups bytea not null, -- JSON array of strings
connector_id text not null,
connector_data bytea,
expiry timestamptz not null
);`,
      `create table auth_code (
id text not null primary key,
client_id text not null,
scopes bytea not null, -- JSON array of strings
nonce text not null,
redirect_uri text not null,
claims_user_id text not null,
claims_username text not null,
claims_email text not null,
claims_email_verified boolean not null,
claims_groups bytea not null, -- JSON array of strings
connector_id text not null,
connector_data bytea,
expiry timestamptz not null
);`,
      `create table refresh_token (
id text not null primary key,
client_id text not null,
scopes bytea not null, -- JSON array of strings
nonce text not null,
claims_user_id text not null,
claims_username text not null,
claims_email text not null,
claims_email_verified boolean not null,
claims_groups bytea not null, -- JSON array of strings
connector_id text not null,
connector_data bytea
);`,
      `create table password (
email text not null primary key,
hash bytea not null,
username text not null,
user_id text not null
);`,
      `-- keys is a weird table because we only ever expect there to be a single row
create table keys (
id text not null primary key,
verification_keys bytea not null, -- JSON array
signing_key bytea not null,       -- JSON object
signing_key_pub bytea not null,   -- JSON object
next_rotation timestamptz not null
);`,
    ],
  },
  {
    stmts: [
      `alter table refresh_token
add column token text not null default '';`,
      `alter table refresh_token
add column created_at timestamptz not null default '0001-01-01 00:00:00 UTC';`,
      `alter table refresh_token
add column last_used timestamptz not null default '0001-01-01 00:00:00 UTC';`,
    ],
  },
  {
    stmts: [
      `create table offline_session (
user_id text not null,
conn_id text not null,
refresh bytea not null,
PRIMARY KEY (user_id, conn_id)
);`,
    ],
  },
  {
    stmts: [
      `create table connector (
id text not null primary key,
type text not null,
name text not null,
resource_version text not null,
config bytea
);`,
    ],
  },
  {
    stmts: [
      `alter table auth_code
add column claims_preferred_username text not null default '';`,
      `alter table auth_request
add column claims_preferred_username text not null default '';`,
      `alter table refresh_token
add column claims_preferred_username text not null default '';`,
    ],
  },
  {
    stmts: [
      `alter table offline_session
add column connector_data bytea;`,
    ],
  },
  {
    stmts: [
      `create table device_request (
user_code text not null primary key,
device_code text not null,
client_id text not null,
client_secret text ,
scopes bytea not null, -- JSON array of strings
expiry timestamptz not null
);`,
      `create table device_token (
device_code text not null primary key,
status text not null,
token bytea,
expiry timestamptz not null,
last_request timestamptz not null,
poll_interval integer not null
);`,
    ],
  },
  {
    stmts: [
      `alter table auth_request
add column code_challenge text not null default '';`,
      `alter table auth_request
add column code_challenge_method text not null default '';`,
      `alter table auth_code
add column code_challenge text not null default '';`,
      `alter table auth_code
add column code_challenge_method text not null default '';`,
    ],
  },
  {
    stmts: [
      `alter table refresh_token
add column obsolete_token text default '';`,
    ],
  },
  {
    stmts: [
      `alter table device_token
add column code_challenge text not null default '';`,
      `alter table device_token
add column code_challenge_method text not null default '';`,
    ],
  },
  {
    stmts: [
      `alter table auth_request
add column hmac_key bytea;`,
    ],
  },
  {
    flavor: 'postgres',
    stmts: [
      `alter table password
add column preferred_username text not null default '';`,
      `alter table password
add column groups bytea not null default convert_to('[]', 'UTF8');`,
    ],
  },
  {
    flavor: 'sqlite',
    stmts: [
      `alter table password
add column preferred_username text not null default '';`,
      `alter table password
add column groups bytea not null default '[]';`,
    ],
  },
  {
    flavor: 'postgres',
    stmts: [
      `alter table password
add column name text not null default '';`,
      `alter table password
add column email_verified boolean;`,
    ],
  },
  {
    flavor: 'sqlite',
    stmts: [
      `alter table password
add column name text not null default '';`,
      `alter table password
add column email_verified boolean;`,
    ],
  },
];
