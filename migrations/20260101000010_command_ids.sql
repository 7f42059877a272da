-- Idempotent commands: a client-chosen command id, recorded from the event metadata by a
-- trigger inside the append's own transaction, so an id is never on record without its events
-- nor events without their id. A second transaction using the same id aborts its append (a
-- unique violation, which the ledger retries and then answers from this table).
CREATE TABLE command_ids
(
    command_id     text PRIMARY KEY,
    request_hash   text        NOT NULL,
    aggregate_type text        NOT NULL,
    aggregate_id   text        NOT NULL,
    position       bigint      NOT NULL,
    transaction_id xid8        NOT NULL DEFAULT pg_current_xact_id(),
    recorded_at    timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION record_command_id() RETURNS trigger
    LANGUAGE plpgsql AS
$$
DECLARE
    held xid8;
BEGIN
    INSERT INTO command_ids (command_id, request_hash, aggregate_type, aggregate_id, position)
    VALUES (NEW.metadata ->> 'command_id', coalesce(NEW.metadata ->> 'command_hash', ''),
            NEW.aggregate_type, NEW.aggregate_id, NEW.position)
    ON CONFLICT (command_id) DO NOTHING;
    IF NOT FOUND THEN
        -- Already recorded: by an earlier event of this same command (fine), or by another
        -- transaction (the id is spent: abort this append).
        SELECT transaction_id INTO held FROM command_ids
        WHERE command_id = NEW.metadata ->> 'command_id';
        IF held <> pg_current_xact_id() THEN
            RAISE EXCEPTION 'command id % is already used', NEW.metadata ->> 'command_id'
                USING ERRCODE = 'unique_violation';
        END IF;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER events_record_command_id
    AFTER INSERT ON events
    FOR EACH ROW
    WHEN (NEW.metadata ? 'command_id')
EXECUTE FUNCTION record_command_id();

CREATE TRIGGER command_ids_append_only
    BEFORE UPDATE OR DELETE ON command_ids
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change();

CREATE OR REPLACE FUNCTION grant_app_privileges() RETURNS void
    LANGUAGE plpgsql AS
$$
BEGIN
    GRANT USAGE ON SCHEMA public TO normledger_app;
    GRANT SELECT, INSERT ON events, document_number_claims, log_checkpoints, command_ids
        TO normledger_app;
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
