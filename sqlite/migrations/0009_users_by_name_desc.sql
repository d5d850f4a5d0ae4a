-- users_by_name_desc, again, for the databases that took migration 0008
-- before it made that index (0008 was changed after a commit of main had
-- applied it; a migration applied is never changed again). Without it,
-- `$orderby=displayName desc` on /users, which names the index, failed.
CREATE INDEX IF NOT EXISTS users_by_name_desc ON users (tenant_id, name_key DESC, id);
