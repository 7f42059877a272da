-- The read model, projected from the event log in commit-safe order. Every row can be rebuilt
-- by `normledger replay`; nothing here is a source of truth.
CREATE TABLE projection_checkpoints
(
    name                text PRIMARY KEY,
    last_transaction_id xid8        NOT NULL DEFAULT '0',
    last_position       bigint      NOT NULL DEFAULT 0,
    events_applied      bigint      NOT NULL DEFAULT 0,
    updated_at          timestamptz NOT NULL DEFAULT now()
);
INSERT INTO projection_checkpoints (name) VALUES ('read_model');

-- `state` is the aggregate folded with the same `apply` as the write side; the other
-- columns are extracted from it for filtering and sorting.
CREATE TABLE rm_issuing_bodies
(
    code          text PRIMARY KEY,
    name          text        NOT NULL,
    kind          text        NOT NULL,
    agency_codes  text[]      NOT NULL,
    listed_from   date        NOT NULL,
    delisted_on   date,
    state         jsonb       NOT NULL,
    last_position bigint      NOT NULL,
    updated_at    timestamptz NOT NULL
);

CREATE TABLE rm_documents
(
    id              uuid PRIMARY KEY,
    body_code       text        NOT NULL,
    title           text        NOT NULL,
    status          text        NOT NULL,
    filing_status   text        NOT NULL,
    document_number text,
    year            int         NOT NULL,
    drafted_on      date        NOT NULL,
    issued_on       date,
    effective_on    date,
    valid_until     date,
    state           jsonb       NOT NULL,
    version         bigint      NOT NULL,
    last_position   bigint      NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX rm_documents_body ON rm_documents (body_code, id);
CREATE INDEX rm_documents_status ON rm_documents (status, id);
