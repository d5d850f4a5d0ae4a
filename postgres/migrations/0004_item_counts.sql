-- How many items each collection of each profile holds, kept in step by
-- every write of items in its own transaction, so that the limit on a
-- collection's size (serve --max-items) is checked without counting rows. A
-- create increments its collection's row (ON CONFLICT DO UPDATE locks it),
-- so concurrent creates, from any number of servers, take the places one
-- after the other and never pass the limit. A user's counts go with the
-- user. (Lists already read pages from items_by_created, 0003.)
CREATE TABLE item_counts (
    tenant_id TEXT COLLATE "C" NOT NULL,
    user_id   TEXT COLLATE "C" NOT NULL,
    kind      TEXT COLLATE "C" NOT NULL,
    n         INTEGER NOT NULL CHECK (n >= 0),
    CONSTRAINT item_counts_pkey PRIMARY KEY (tenant_id, user_id, kind),
    CONSTRAINT item_counts_user_fkey FOREIGN KEY (tenant_id, user_id)
        REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

INSERT INTO item_counts (tenant_id, user_id, kind, n)
SELECT tenant_id, user_id, kind, count(*) FROM items GROUP BY tenant_id, user_id, kind;
