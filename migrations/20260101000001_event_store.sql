-- The event log: postgres-es's `events` and `snapshots` tables, plus a global position, the
-- writing transaction id and the record time. Events are append-only: the database refuses
-- UPDATE, DELETE and TRUNCATE on them.
CREATE TABLE events
(
    position       bigint GENERATED ALWAYS AS IDENTITY,
    aggregate_type text                         NOT NULL,
    aggregate_id   text                         NOT NULL,
    sequence       bigint CHECK (sequence >= 0) NOT NULL,
    event_type     text                         NOT NULL,
    event_version  text                         NOT NULL,
    payload        jsonb                        NOT NULL,
    metadata       jsonb                        NOT NULL,
    transaction_id xid8        NOT NULL DEFAULT pg_current_xact_id(),
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (aggregate_type, aggregate_id, sequence),
    UNIQUE (position)
);

-- Projectors and the audit trail read in commit-safe order: (transaction_id, position).
CREATE INDEX events_commit_order ON events (transaction_id, position);

CREATE TABLE snapshots
(
    aggregate_type   text                                 NOT NULL,
    aggregate_id     text                                 NOT NULL,
    last_sequence    bigint CHECK (last_sequence >= 0)    NOT NULL,
    current_snapshot bigint CHECK (current_snapshot >= 0) NOT NULL,
    payload          jsonb                                NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id, last_sequence)
);

CREATE FUNCTION refuse_history_change() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER events_append_only
    BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER events_no_truncate
    BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();

-- 文号 claims: one row per (代字, year, serial), filled from every `Issued` event inside the
-- append's own transaction. A second claim violates the primary key and aborts the whole
-- append, so two documents can never hold one number, under any race. Claims are never
-- released: a repealed document's number is not reused.
CREATE TABLE document_number_claims
(
    agency_code text   NOT NULL,
    year        int    NOT NULL,
    serial      int    NOT NULL,
    document_id text   NOT NULL,
    position    bigint NOT NULL,
    PRIMARY KEY (agency_code, year, serial)
);

CREATE FUNCTION claim_document_number() RETURNS trigger
    LANGUAGE plpgsql AS
$$
DECLARE
    n jsonb := NEW.payload -> 'Issued' -> 'number';
BEGIN
    INSERT INTO document_number_claims (agency_code, year, serial, document_id, position)
    VALUES (n ->> 'agency_code', (n ->> 'year')::int, (n ->> 'serial')::int,
            NEW.aggregate_id, NEW.position);
    RETURN NEW;
END
$$;

CREATE TRIGGER events_claim_document_number
    AFTER INSERT ON events
    FOR EACH ROW
    WHEN (NEW.aggregate_type = 'NormativeDocument' AND NEW.event_type = 'Issued')
EXECUTE FUNCTION claim_document_number();

CREATE TRIGGER document_number_claims_append_only
    BEFORE UPDATE OR DELETE ON document_number_claims
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
