-- Numbers that must never be held twice, claimed by the database as the events that take them
-- are appended (like the 文号 claims: under any race, the second append fails):
--
-- * the unified registration number (登记号) of an issued or republished document;
-- * the 文号 under which a cleanup campaign publishes its result, claimed in the same table as
--   documents' 文号, so a cleanup result and a document can never share one.
--
-- Claims are never released, and the tables are append-only. Earlier events are claimed too;
-- where they already share a number (which nothing stopped before), the first holds it.

CREATE TABLE registration_number_claims
(
    registration_number text   PRIMARY KEY,
    document_id         text   NOT NULL,
    position            bigint NOT NULL
);

CREATE TRIGGER registration_number_claims_append_only
    BEFORE UPDATE OR DELETE ON registration_number_claims
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change();

CREATE FUNCTION claim_registration_number() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS
$$
DECLARE
    r text := coalesce(NEW.payload -> 'Issued' ->> 'registration_number',
                       NEW.payload -> 'Republished' ->> 'registration_number');
BEGIN
    IF r IS NOT NULL THEN
        INSERT INTO registration_number_claims (registration_number, document_id, position)
        VALUES (r, NEW.aggregate_id, NEW.position);
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER events_claim_registration_number
    AFTER INSERT ON events
    FOR EACH ROW
    WHEN (NEW.aggregate_type = 'NormativeDocument'
        AND NEW.event_type IN ('Issued', 'Republished'))
EXECUTE FUNCTION claim_registration_number();

INSERT INTO registration_number_claims (registration_number, document_id, position)
SELECT DISTINCT ON (r) r, aggregate_id, position
FROM (SELECT coalesce(payload -> 'Issued' ->> 'registration_number',
                      payload -> 'Republished' ->> 'registration_number') AS r,
             aggregate_id, position
      FROM events
      WHERE aggregate_type = 'NormativeDocument' AND event_type IN ('Issued', 'Republished')) x
WHERE r IS NOT NULL
ORDER BY r, position;

-- A cleanup result's 文号 joins the documents' claims.
CREATE OR REPLACE FUNCTION claim_document_number() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS
$$
DECLARE
    n jsonb := coalesce(NEW.payload -> 'Issued' -> 'number',
                        NEW.payload -> 'DocumentImported' -> 'record' -> 'number',
                        NEW.payload -> 'ResultPublished' -> 'result_number');
BEGIN
    INSERT INTO document_number_claims (agency_code, year, serial, document_id, position)
    VALUES (n ->> 'agency_code', (n ->> 'year')::int, (n ->> 'serial')::int,
            NEW.aggregate_id, NEW.position);
    RETURN NEW;
END
$$;

CREATE TRIGGER events_claim_cleanup_result_number
    AFTER INSERT ON events
    FOR EACH ROW
    WHEN (NEW.aggregate_type = 'CleanupCampaign' AND NEW.event_type = 'ResultPublished')
EXECUTE FUNCTION claim_document_number();

INSERT INTO document_number_claims (agency_code, year, serial, document_id, position)
SELECT n ->> 'agency_code', (n ->> 'year')::int, (n ->> 'serial')::int, aggregate_id, position
FROM (SELECT payload -> 'ResultPublished' -> 'result_number' AS n, aggregate_id, position
      FROM events
      WHERE aggregate_type = 'CleanupCampaign' AND event_type = 'ResultPublished'
      ORDER BY position) x
ON CONFLICT DO NOTHING;

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
    GRANT SELECT, UPDATE (last_used_at) ON api_tokens TO normledger_app;
    GRANT SELECT, INSERT, UPDATE, DELETE
        ON projection_checkpoints, rm_issuing_bodies, rm_documents, rm_certification_items,
           rm_cleanup_campaigns, rm_document_clauses, rm_document_citations
        TO normledger_app;
END
$$;

SELECT grant_app_privileges();
