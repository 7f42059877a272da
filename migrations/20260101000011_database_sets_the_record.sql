-- The database, not the writer, decides when and in which transaction an event was recorded.
--
-- Before this migration `normledger_app` had table-wide INSERT on `events`: a stolen server
-- credential could append a backdated event (`recorded_at` is hashed, so the chain accepted
-- it) or one with a transaction id no projector would ever read. Now:
--   * `transaction_id` is always the inserting transaction's own id (a trigger overrides any
--     supplied value, for every role);
--   * the app role may insert only the columns postgres-es writes; `position`, `recorded_at`,
--     `transaction_id` and `hash` are the database's (`import-log`, run as the owner, still
--     restores original positions and record times, which the hashes cover);
--   * 文号 claims and command ids are written only by their triggers, which run as the owner
--     (SECURITY DEFINER): the app role cannot insert a claim or spend a command id directly.

CREATE FUNCTION stamp_event() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    NEW.transaction_id := pg_current_xact_id();
    RETURN NEW;
END
$$;

-- BEFORE triggers fire in name order: stamped first, then chained.
CREATE TRIGGER events_0_stamp
    BEFORE INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION stamp_event();

ALTER FUNCTION claim_document_number() SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION record_command_id() SECURITY DEFINER SET search_path = public, pg_temp;

-- Replacing the key that signs checkpoints is an event of its own: recorded here, by the owner,
-- when `normledger checkpoint --rotate-key` (or `serve --rotate-key`) starts signing with a key
-- other than the one that signed the latest checkpoint. Without such a row a new key is refused.
CREATE TABLE signing_key_rotations
(
    id             uuid PRIMARY KEY,
    rotated_at     timestamptz NOT NULL DEFAULT now(),
    old_public_key bytea       NOT NULL,
    new_public_key bytea       NOT NULL,
    reason         text        NOT NULL
);
CREATE TRIGGER signing_key_rotations_append_only
    BEFORE UPDATE OR DELETE ON signing_key_rotations
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change();

CREATE OR REPLACE FUNCTION grant_app_privileges() RETURNS void
    LANGUAGE plpgsql AS
$$
BEGIN
    GRANT USAGE ON SCHEMA public TO normledger_app;
    REVOKE INSERT ON events, document_number_claims, command_ids FROM normledger_app;
    GRANT SELECT ON events, document_number_claims, command_ids, signing_key_rotations
        TO normledger_app;
    GRANT INSERT (aggregate_type, aggregate_id, sequence, event_type, event_version, payload,
                  metadata) ON events TO normledger_app;
    GRANT SELECT, INSERT ON log_checkpoints TO normledger_app;
    GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO normledger_app;
    GRANT SELECT ON snapshots, calendar_years, calendar_days TO normledger_app;
    GRANT SELECT, UPDATE (last_used_at) ON api_tokens TO normledger_app;
    GRANT SELECT, INSERT, UPDATE, DELETE
        ON projection_checkpoints, rm_issuing_bodies, rm_documents, rm_certification_items,
           rm_cleanup_campaigns
        TO normledger_app;
END
$$;

SELECT grant_app_privileges();
