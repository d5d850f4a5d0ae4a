-- users_by_name_desc, again, for the databases that took migration 0006
-- before it made that index (0006 was changed after a commit of main had
-- applied it; a migration applied is never changed again). Without it, a
-- page of `$orderby=displayName desc` on /users was a sort of the tenant.
CREATE INDEX IF NOT EXISTS users_by_name_desc ON users (tenant_id, name_key DESC, id);
