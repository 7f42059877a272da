-- Servers keep who a token or a console session stands for in memory; these triggers tell
-- every one of them, on commit, that an answer may have changed. They fire only for the rare
-- writes that change access (a revocation, an expiry or grant changed, an account disabled or
-- changed, a session ended or deleted), never for the last-use stamps written once a minute,
-- and never inside an event append. Statement-level: one notification per statement, and
-- PostgreSQL folds identical notifications of one transaction into one.
CREATE FUNCTION announce_access_change() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    PERFORM pg_notify('normledger_access', TG_TABLE_NAME);
    RETURN NULL;
END
$$;

CREATE TRIGGER api_tokens_announce_change
    AFTER UPDATE OF revoked_at, expires_at, role, bodies, token_hash OR DELETE OR TRUNCATE
    ON api_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION announce_access_change();

CREATE TRIGGER accounts_announce_change
    AFTER UPDATE OF disabled_at, role, bodies, display_name, password_hash OR DELETE OR TRUNCATE
    ON accounts
    FOR EACH STATEMENT EXECUTE FUNCTION announce_access_change();

CREATE TRIGGER console_sessions_announce_change
    AFTER UPDATE OF ended_at, expires_at, account_id, token_id OR DELETE OR TRUNCATE
    ON console_sessions
    FOR EACH STATEMENT EXECUTE FUNCTION announce_access_change();
