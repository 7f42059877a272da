-- Tamper evidence: every event row carries a SHA-256 chained per stream.
--
--   hash = sha256(previous_hash || canonical)
--   previous_hash = the hash of the same stream's event at sequence - 1, or 32 zero bytes
--   canonical = for each field, in this order, its UTF-8 byte length in decimal, ':', the
--               field's UTF-8 bytes, '\n':
--       aggregate_type, aggregate_id, sequence (decimal), event_type, event_version,
--       payload::text, metadata::text (PostgreSQL's jsonb rendering, as exported),
--       recorded_at in UTC as YYYY-MM-DDTHH:MM:SS.ffffffZ
--
-- The trigger computes it on insert, so a row written by any path is chained.

CREATE FUNCTION event_field(value text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT AS
$$ SELECT octet_length(value)::text || ':' || value || E'\n' $$;

CREATE FUNCTION event_canonical(e events) RETURNS bytea
    LANGUAGE sql STABLE AS
$$
SELECT convert_to(
    event_field(e.aggregate_type) || event_field(e.aggregate_id) || event_field(e.sequence::text) ||
    event_field(e.event_type) || event_field(e.event_version) || event_field(e.payload::text) ||
    event_field(e.metadata::text) ||
    event_field(to_char(e.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')),
    'UTF8')
$$;

ALTER TABLE events ADD COLUMN hash bytea;

CREATE FUNCTION chain_event() RETURNS trigger
    LANGUAGE plpgsql AS
$$
DECLARE
    previous bytea;
BEGIN
    SELECT hash INTO previous FROM events
    WHERE aggregate_type = NEW.aggregate_type AND aggregate_id = NEW.aggregate_id
      AND sequence = NEW.sequence - 1;
    IF previous IS NULL THEN
        IF NEW.sequence > 1 THEN
            RAISE EXCEPTION 'event % of %/% has no predecessor to chain to',
                NEW.sequence, NEW.aggregate_type, NEW.aggregate_id;
        END IF;
        previous := '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;
    END IF;
    NEW.hash := sha256(previous || event_canonical(NEW));
    RETURN NEW;
END
$$;

-- Chain the events written before this migration, stream by stream, in sequence order.
ALTER TABLE events DISABLE TRIGGER events_append_only;
DO
$$
DECLARE
    e events;
    previous bytea;
BEGIN
    FOR e IN SELECT * FROM events ORDER BY aggregate_type, aggregate_id, sequence LOOP
        IF e.sequence = 1 THEN
            previous := '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;
        END IF;
        previous := sha256(previous || event_canonical(e));
        UPDATE events SET hash = previous
        WHERE aggregate_type = e.aggregate_type AND aggregate_id = e.aggregate_id
          AND sequence = e.sequence;
    END LOOP;
END
$$;
ALTER TABLE events ENABLE TRIGGER events_append_only;

ALTER TABLE events ALTER COLUMN hash SET NOT NULL;

CREATE TRIGGER events_chain
    BEFORE INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION chain_event();

-- Digests of the whole log, signed with the server's Ed25519 key (`normledger checkpoint`).
CREATE TABLE log_checkpoints
(
    id                uuid PRIMARY KEY,
    taken_at          timestamptz NOT NULL DEFAULT now(),
    transaction_bound bigint      NOT NULL,
    events            bigint      NOT NULL,
    last_position     bigint      NOT NULL,
    root              bytea       NOT NULL,
    public_key        bytea       NOT NULL,
    signature         bytea       NOT NULL
);
CREATE TRIGGER log_checkpoints_append_only
    BEFORE UPDATE OR DELETE ON log_checkpoints
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
