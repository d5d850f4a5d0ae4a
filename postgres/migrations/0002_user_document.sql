-- A user's properties move into one JSON document, as a position's are: the
-- user as graphprofile.EncodeStoredUser writes it (unset properties left
-- out, id kept in its column), kept as TEXT like a position's document, so
-- that a property added to the user later needs no migration. What is looked
-- up keeps its columns: tenant_id, id and upn_key (the lower-cased principal
-- name, unique in a tenant). Lists are filtered and ordered in Go.
--
-- jsonb_strip_nulls drops the members whose value is null, so an unset
-- property (an empty string, a NULL account_enabled) is left out, as the
-- encoder leaves it out; the decoder reads any key order.
ALTER TABLE users ADD COLUMN document TEXT NOT NULL DEFAULT '{}';

UPDATE users SET document = jsonb_strip_nulls(jsonb_build_object(
    'displayName',       NULLIF(display_name, ''),
    'userPrincipalName', NULLIF(user_principal_name, ''),
    'mail',              NULLIF(mail, ''),
    'mailNickname',      NULLIF(mail_nickname, ''),
    'givenName',         NULLIF(given_name, ''),
    'surname',           NULLIF(surname, ''),
    'jobTitle',          NULLIF(job_title, ''),
    'accountEnabled',    account_enabled))::text;

ALTER TABLE users
    DROP COLUMN user_principal_name,
    DROP COLUMN display_name,
    DROP COLUMN mail,
    DROP COLUMN mail_nickname,
    DROP COLUMN given_name,
    DROP COLUMN surname,
    DROP COLUMN job_title,
    DROP COLUMN account_enabled;
