-- The directory outage policy (issue 18). Append-only like every migration.

-- checked_at: when a connector last confirmed this person (a login or a refresh that the
-- directory answered). Written when the identity changes and otherwise at most once a minute
-- per person, so an unchanged refresh usually writes nothing. `outagePolicy: {lastKnown}`
-- lets a refresh reuse the stored identity for at most that long after it.
-- refused_at / refused_reason: the directory refused this person at a refresh (deleted,
-- disabled, locked, moved, expired). Such a person is never served from the last-known
-- identity; the next successful login or refresh clears it.
ALTER TABLE identities ADD COLUMN checked_at timestamptz;
ALTER TABLE identities ADD COLUMN refused_at timestamptz;
ALTER TABLE identities ADD COLUMN refused_reason text;
