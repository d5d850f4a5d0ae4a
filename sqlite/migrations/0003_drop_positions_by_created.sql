-- Lists are sorted in Go (one user's positions are few), so the index on
-- (tenant_id, user_id, created_at, id) only cost every write a page to
-- update: the primary key's index serves the reads.
DROP INDEX positions_by_created;
