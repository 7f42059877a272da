-- Document texts (正文). The texts themselves are in the log (TextRecorded events, under the
-- hash chain); here are what reads need beside them:
--
-- * the screening rules, as data (like the calendar): replaced as a whole by
--   `normledger screening import`, the shipped rules stored on first start;
-- * the current text of every document, clause by clause, for search, and the higher law it
--   cites. Chinese has no spaces
--   to split words on, and pg_trgm's trigrams miss two-character words (罚款, 许可), so each
--   clause keeps the set of its character bigrams, as integer keys (two 16-bit characters),
--   under a GIN index: a query's keys must all be present, then the clause is checked for the
--   query itself.
CREATE TABLE screening_rules
(
    id          smallint    PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    rules       jsonb       NOT NULL,
    source      text        NOT NULL,
    imported_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE rm_document_clauses
(
    document_id uuid    NOT NULL,
    -- The text version these clauses are of (the document's latest).
    version     integer NOT NULL,
    -- Reading order; 0 is the document's title.
    position    integer NOT NULL,
    clause_id   text    NOT NULL,
    number      text    NOT NULL,
    text        text    NOT NULL,
    grams       integer[] NOT NULL,
    PRIMARY KEY (document_id, position)
);
CREATE INDEX rm_document_clauses_grams ON rm_document_clauses USING gin (grams);
-- Neighbours: clauses of documents in force most like a clause under review (trigram
-- similarity, indexed). pg_trgm ships with the server package (contrib) and is a trusted
-- extension: the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX rm_document_clauses_trgm ON rm_document_clauses USING gin (text gin_trgm_ops);

-- The higher law each document's current text cites (《…》第N条), for "which documents in
-- force rely on this law" when it is amended or repealed.
CREATE TABLE rm_document_citations
(
    document_id uuid    NOT NULL,
    version     integer NOT NULL,
    clause_id   text    NOT NULL,
    law         text    NOT NULL,
    -- 0 when the law is cited without an article.
    article     integer NOT NULL,
    PRIMARY KEY (document_id, clause_id, law, article)
);
CREATE INDEX rm_document_citations_law ON rm_document_citations (law, article);

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
    GRANT SELECT ON snapshots, calendar_years, calendar_days, screening_rules TO normledger_app;
    GRANT SELECT, UPDATE (last_used_at) ON api_tokens TO normledger_app;
    GRANT SELECT, INSERT, UPDATE, DELETE
        ON projection_checkpoints, rm_issuing_bodies, rm_documents, rm_certification_items,
           rm_cleanup_campaigns, rm_document_clauses, rm_document_citations
        TO normledger_app;
END
$$;

SELECT grant_app_privileges();
