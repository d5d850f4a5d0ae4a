-- One table for the items of every collection of a profile (positions,
-- skills, emails…), keyed by the collection's name (kind): document is the
-- whole item as graphprofile.AppendStoredItem writes it, created_at its
-- createdDateTime in Unix nanoseconds, the list order (lists are sorted in
-- Go: the primary key's index serves the reads). A collection added to the
-- schema later needs no table and no migration. The positions move here as
-- kind 'positions', unchanged.
CREATE TABLE items (
    tenant_id  TEXT    NOT NULL,
    user_id    TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    document   TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, user_id, kind, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) STRICT;

INSERT INTO items (tenant_id, user_id, kind, id, created_at, document)
SELECT tenant_id, user_id, 'positions', id, created_at, document FROM positions;

DROP TABLE positions;
