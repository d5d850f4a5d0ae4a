-- The users in the order of their display names, as `$orderby=displayName`
-- lists them: name_key is graphprofile.NameKey of the display name (its lower
-- case, as the odata engine folds it; '' for a user without one), computed in
-- Go on every write. users_by_name serves a page of that order as a range of
-- an index (tenant, key, id), and users_by_name_desc a page of its reverse
-- (`displayName desc`: names descending, the users of one name still by id
-- ascending, which a backward read of the first gives only with a sort, and
-- which the planner, with few statistics, did as a sort of the whole
-- tenant): a page costs its rows, not the directory. COLLATE "C" compares
-- bytes, as Go's strings.Compare does (a locale's collation would not). The
-- rows there get their keys from the migration's Go step (fillNameKeys in
-- migrate.go), in the same transaction: SQL's lower() follows the database's
-- locale, not Go's.
ALTER TABLE users ADD COLUMN name_key TEXT COLLATE "C" NOT NULL DEFAULT '';

CREATE INDEX users_by_name ON users (tenant_id, name_key, id);
CREATE INDEX users_by_name_desc ON users (tenant_id, name_key DESC, id);
