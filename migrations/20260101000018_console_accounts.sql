-- The web console's people: accounts (a name, an argon2 password hash, a role and the bodies
-- it acts for), their sign-in sessions, and failed sign-ins (to limit guessing). An account
-- acts exactly as a token of the same role and bodies would; events it causes name it
-- (`actor_id` = `account:<id>`).
--
-- ADMIN manages accounts and tokens from the console, so the server's role may now create
-- them and end them, never delete them: who held access, and who granted and withdrew it, stays
-- on record.

CREATE TABLE accounts
(
    id            uuid PRIMARY KEY,
    name          text        NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 64),
    display_name  text        NOT NULL CHECK (length(display_name) BETWEEN 1 AND 64),
    password_hash text        NOT NULL,
    role          text        NOT NULL,
    bodies        text[]      NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    text        NOT NULL,
    disabled_at   timestamptz,
    disabled_by   text
);

-- A session is a random secret in an HttpOnly cookie; only its SHA-256 is stored. It stands
-- for an account or, when a token was exchanged for it, for that token (whose revocation ends
-- the session too, since the token is checked on every request).
CREATE TABLE console_sessions
(
    id_hash      bytea PRIMARY KEY,
    account_id   uuid REFERENCES accounts (id),
    token_id     uuid REFERENCES api_tokens (id),
    csrf         text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    ended_at     timestamptz,
    CHECK ((account_id IS NULL) <> (token_id IS NULL))
);
CREATE INDEX console_sessions_account ON console_sessions (account_id);

-- A personal calendar feed (.ics) of someone's deadlines: calendar programs cannot sign in,
-- so the feed's address carries its own random key (stored as a SHA-256), which reads the
-- deadlines and nothing else. Making a new one ends the old.
CREATE TABLE calendar_feeds
(
    key_hash   bytea PRIMARY KEY,
    account_id uuid REFERENCES accounts (id),
    token_id   uuid REFERENCES api_tokens (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    ended_at   timestamptz,
    CHECK ((account_id IS NULL) <> (token_id IS NULL))
);

CREATE TABLE sign_in_failures
(
    name      text        NOT NULL,
    failed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sign_in_failures_name ON sign_in_failures (name, failed_at);

ALTER TABLE api_tokens ADD COLUMN created_by text;

CREATE OR REPLACE FUNCTION grant_app_privileges() RETURNS void
    LANGUAGE plpgsql AS
$$
BEGIN
    GRANT USAGE ON SCHEMA public TO normledger_app;
    REVOKE INSERT ON events, document_number_claims, registration_number_claims, command_ids
        FROM normledger_app;
    GRANT SELECT ON events, document_number_claims, registration_number_claims, command_ids,
        signing_key_rotations TO normledger_app;
    GRANT INSERT (aggregate_type, aggregate_id, sequence, event_type, event_version, payload,
                  metadata) ON events TO normledger_app;
    GRANT SELECT, INSERT ON log_checkpoints TO normledger_app;
    GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO normledger_app;
    GRANT SELECT ON snapshots, calendar_years, calendar_days, screening_rules TO normledger_app;
    GRANT SELECT, INSERT, UPDATE (last_used_at, revoked_at) ON api_tokens TO normledger_app;
    GRANT SELECT, INSERT, UPDATE (password_hash, disabled_at, disabled_by) ON accounts
        TO normledger_app;
    GRANT SELECT, INSERT, UPDATE (last_seen_at, ended_at) ON console_sessions TO normledger_app;
    GRANT SELECT, INSERT, UPDATE (ended_at) ON calendar_feeds TO normledger_app;
    -- Failures older than the window are forgotten by the server itself.
    GRANT SELECT, INSERT, DELETE ON sign_in_failures TO normledger_app;
    GRANT SELECT, INSERT, UPDATE, DELETE
        ON projection_checkpoints, rm_issuing_bodies, rm_documents, rm_certification_items,
           rm_cleanup_campaigns, rm_document_clauses, rm_document_citations
        TO normledger_app;
END
$$;

SELECT grant_app_privileges();
