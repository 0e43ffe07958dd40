-- Deny entries for tokens already issued (issue 15). kube-apiserver accepts an id_token until
-- its exp; these rows become claimValidationRules in each cluster's AuthenticationConfiguration
-- (src/kube/revocation/), so a revoked login stops working on the cluster in seconds. Append-only
-- like every migration.
--
--   session  sid: every token of that login (the id_token claim `sid`) is refused.
--   subject  sub + not_before: the person's tokens with iat before not_before are refused.
--   window   iat_from .. iat_until: tokens issued in that range (a revoked signing key's) are
--            refused, whoever they belong to.
--
-- keep_until is when no token an entry targets can still be valid (its latest possible issue
-- time + the longest id_token lifetime any client has + clock skew): after it the entry is
-- pruned, so the rules stay small however many revocations there were.
CREATE TABLE login_revocations (
  id         bigserial   PRIMARY KEY,
  kind       text        NOT NULL CHECK (kind IN ('session', 'subject', 'window')),
  sid        text,
  sub        text,
  not_before timestamptz,
  iat_from   timestamptz,
  iat_until  timestamptz,
  kid        text,
  reason     text        NOT NULL,
  actor      jsonb       NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  keep_until timestamptz NOT NULL,
  CHECK (kind <> 'session' OR sid IS NOT NULL),
  CHECK (kind <> 'subject' OR (sub IS NOT NULL AND not_before IS NOT NULL)),
  CHECK (kind <> 'window' OR (iat_from IS NOT NULL AND iat_until IS NOT NULL AND iat_from < iat_until))
);
CREATE INDEX login_revocations_keep_until ON login_revocations (keep_until);
