-- Users of the directory, as far as graphprofile keeps them. upn_key is the
-- lower-cased user principal name (lower-cased in Go, which knows Unicode),
-- NULL when the user has none; a principal name is unique in a tenant.
CREATE TABLE users (
    tenant_id           TEXT NOT NULL,
    id                  TEXT NOT NULL,
    user_principal_name TEXT NOT NULL DEFAULT '',
    upn_key             TEXT,
    display_name        TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_id, id)
) STRICT;

CREATE UNIQUE INDEX users_upn_key ON users (tenant_id, upn_key);

-- Work positions: document is the whole WorkPosition as AppendObjectJSON
-- writes it (OmitNulls); created_at is its createdDateTime in Unix
-- nanoseconds, for ordering.
CREATE TABLE positions (
    tenant_id  TEXT    NOT NULL,
    user_id    TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    document   TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, user_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) STRICT;

CREATE INDEX positions_by_created ON positions (tenant_id, user_id, created_at, id);
