-- Secrets that every server on this database must hold the same: the
-- development issuer's signing key, so that a token minted for one server is
-- accepted by all of them (and by graphprofile token --store postgres://…).
-- A secret is made once, by whichever server needs it first: servers that
-- start together each INSERT … ON CONFLICT DO NOTHING their own candidate
-- and then all read the one row that won. Rows are never updated.
CREATE TABLE shared_secrets (
    name       TEXT COLLATE "C" PRIMARY KEY,
    value      BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
