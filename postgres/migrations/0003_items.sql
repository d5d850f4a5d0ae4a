-- One table for the items of every collection of a profile (positions,
-- skills, emails…), keyed by the collection's name (kind): document is the
-- whole item as graphprofile.AppendStoredItem writes it, kept as TEXT, byte
-- for byte; created_at its createdDateTime in Unix nanoseconds, the list
-- order. A collection added to the schema later needs no table and no
-- migration. The positions move here as kind 'positions', unchanged.
CREATE TABLE items (
    tenant_id  TEXT COLLATE "C" NOT NULL,
    user_id    TEXT COLLATE "C" NOT NULL,
    kind       TEXT COLLATE "C" NOT NULL,
    id         TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    document   TEXT NOT NULL,
    CONSTRAINT items_pkey PRIMARY KEY (tenant_id, user_id, kind, id),
    CONSTRAINT items_user_fkey FOREIGN KEY (tenant_id, user_id)
        REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

-- A list reads one collection of one profile in its order, as the index on
-- positions served it.
CREATE INDEX items_by_created ON items (tenant_id, user_id, kind, created_at, id);

INSERT INTO items (tenant_id, user_id, kind, id, created_at, document)
SELECT tenant_id, user_id, 'positions', id, created_at, document FROM positions;

DROP TABLE positions;
