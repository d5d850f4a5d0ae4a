-- The schema of graphprofile's PostgreSQL store: SQLite's (sqlite/migrations
-- 0001 and 0002) in one step.
--
-- Keys and ids are COLLATE "C": they compare and sort byte by byte, as Go
-- strings and SQLite's BINARY do, whatever the database's default collation
-- ("ordered by id" means the same in every store), and a btree on them is
-- cheaper than a linguistic one.

-- Users of the directory, as far as graphprofile keeps them. An empty string
-- is an unset property; upn_key is the lower-cased user principal name
-- (lower-cased in Go, which knows Unicode, so that every store agrees), NULL
-- when the user has none; a principal name is unique in a tenant (NULLs do
-- not collide).
CREATE TABLE users (
    tenant_id           TEXT COLLATE "C" NOT NULL,
    id                  TEXT COLLATE "C" NOT NULL,
    user_principal_name TEXT NOT NULL DEFAULT '',
    upn_key             TEXT COLLATE "C",
    display_name        TEXT NOT NULL DEFAULT '',
    mail                TEXT NOT NULL DEFAULT '',
    mail_nickname       TEXT NOT NULL DEFAULT '',
    given_name          TEXT NOT NULL DEFAULT '',
    surname             TEXT NOT NULL DEFAULT '',
    job_title           TEXT NOT NULL DEFAULT '',
    account_enabled     BOOLEAN,
    CONSTRAINT users_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT users_upn_key UNIQUE (tenant_id, upn_key)
);

-- Work positions: document is the whole WorkPosition as AppendObjectJSON
-- writes it (OmitNulls), kept as TEXT, byte for byte; created_at is its
-- createdDateTime in Unix nanoseconds, for ordering.
CREATE TABLE positions (
    tenant_id  TEXT COLLATE "C" NOT NULL,
    user_id    TEXT COLLATE "C" NOT NULL,
    id         TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    document   TEXT NOT NULL,
    CONSTRAINT positions_pkey PRIMARY KEY (tenant_id, user_id, id),
    CONSTRAINT positions_user_fkey FOREIGN KEY (tenant_id, user_id)
        REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX positions_by_created ON positions (tenant_id, user_id, created_at, id);
