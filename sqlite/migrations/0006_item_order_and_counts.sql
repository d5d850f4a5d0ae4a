-- Lists are read in pages, in the list order, from an index: a page of a
-- collection of any size costs the rows of the page (keyset: each page
-- starts after the (created_at, id) of the last row of the one before),
-- where sorting in Go read the whole collection for every page. Measured
-- to cost a create little (docs/decisions.md, "Sustained and lopsided load").
CREATE INDEX items_by_created ON items (tenant_id, user_id, kind, created_at, id);

-- How many items each collection of each profile holds, kept in step by
-- every write of items in its own transaction, so that the limit on a
-- collection's size (serve --max-items) is checked without counting rows.
-- A user's counts go with the user.
CREATE TABLE item_counts (
    tenant_id TEXT    NOT NULL,
    user_id   TEXT    NOT NULL,
    kind      TEXT    NOT NULL,
    n         INTEGER NOT NULL CHECK (n >= 0),
    PRIMARY KEY (tenant_id, user_id, kind),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

INSERT INTO item_counts (tenant_id, user_id, kind, n)
SELECT tenant_id, user_id, kind, count(*) FROM items GROUP BY tenant_id, user_id, kind;
