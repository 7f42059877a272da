-- Cleanup campaigns, imported documents and validity (issue 4).

-- An imported document (DocumentImported) holds its 文号 exactly like an issued one: the same
-- claim, in the same append, never released.
CREATE OR REPLACE FUNCTION claim_document_number() RETURNS trigger
    LANGUAGE plpgsql AS
$$
DECLARE
    n jsonb := coalesce(NEW.payload -> 'Issued' -> 'number',
                        NEW.payload -> 'DocumentImported' -> 'record' -> 'number');
BEGIN
    INSERT INTO document_number_claims (agency_code, year, serial, document_id, position)
    VALUES (n ->> 'agency_code', (n ->> 'year')::int, (n ->> 'serial')::int,
            NEW.aggregate_id, NEW.position);
    RETURN NEW;
END
$$;

DROP TRIGGER events_claim_document_number ON events;
CREATE TRIGGER events_claim_document_number
    AFTER INSERT ON events
    FOR EACH ROW
    WHEN (NEW.aggregate_type = 'NormativeDocument'
        AND NEW.event_type IN ('Issued', 'DocumentImported'))
EXECUTE FUNCTION claim_document_number();

-- The expiry scheduler looks for documents in force past their last day.
CREATE INDEX rm_documents_valid_until ON rm_documents (valid_until) WHERE status = 'ISSUED';

-- Read model of cleanup campaigns (清理).
CREATE TABLE rm_cleanup_campaigns
(
    id            uuid PRIMARY KEY,
    notice_number text        NOT NULL,
    title         text        NOT NULL,
    status        text        NOT NULL,
    launched_on   date        NOT NULL,
    state         jsonb       NOT NULL,
    version       bigint      NOT NULL,
    last_position bigint      NOT NULL,
    updated_at    timestamptz NOT NULL
);
CREATE INDEX rm_cleanup_campaigns_status ON rm_cleanup_campaigns (status, id);

-- The shape of the read model's stored states: a server whose code folds more than the stored
-- rows hold (a higher shape) rebuilds the read model once at start.
ALTER TABLE projection_checkpoints ADD COLUMN shape int NOT NULL DEFAULT 1;
