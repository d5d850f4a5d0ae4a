-- The properties of a user that the directory (/users) manages. An empty
-- string is an unset property; account_enabled is 1, 0 or NULL (unset).
ALTER TABLE users ADD COLUMN mail          TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN mail_nickname TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN given_name    TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN surname       TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN job_title     TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN account_enabled INTEGER CHECK (account_enabled IN (0, 1));
