-- A user's properties move into one JSON document, as a position's are: the
-- user as graphprofile.EncodeStoredUser writes it (unset properties left
-- out, id kept in its column), so that a property added to the user later
-- needs no migration. What is looked up keeps its columns: tenant_id, id
-- and upn_key (the lower-cased principal name, unique in a tenant). Lists are
-- filtered and ordered in Go.
--
-- json_patch drops the members whose value is null, so an unset property
-- (an empty string, a NULL account_enabled) is left out, as the encoder
-- leaves it out.
ALTER TABLE users ADD COLUMN document TEXT NOT NULL DEFAULT '{}';

UPDATE users SET document = json_patch('{}', json_object(
    'displayName',       NULLIF(display_name, ''),
    'userPrincipalName', NULLIF(user_principal_name, ''),
    'mail',              NULLIF(mail, ''),
    'mailNickname',      NULLIF(mail_nickname, ''),
    'givenName',         NULLIF(given_name, ''),
    'surname',           NULLIF(surname, ''),
    'jobTitle',          NULLIF(job_title, ''),
    'accountEnabled',    CASE account_enabled WHEN 1 THEN json('true') WHEN 0 THEN json('false') END));

ALTER TABLE users DROP COLUMN user_principal_name;
ALTER TABLE users DROP COLUMN display_name;
ALTER TABLE users DROP COLUMN mail;
ALTER TABLE users DROP COLUMN mail_nickname;
ALTER TABLE users DROP COLUMN given_name;
ALTER TABLE users DROP COLUMN surname;
ALTER TABLE users DROP COLUMN job_title;
ALTER TABLE users DROP COLUMN account_enabled;
