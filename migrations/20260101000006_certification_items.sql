-- Read model of certification items (证明事项).
CREATE TABLE rm_certification_items
(
    id                 uuid PRIMARY KEY,
    name               text        NOT NULL,
    status             text        NOT NULL,
    basis_level        text        NOT NULL,
    commitment_enabled boolean     NOT NULL,
    state              jsonb       NOT NULL,
    version            bigint      NOT NULL,
    last_position      bigint      NOT NULL,
    updated_at         timestamptz NOT NULL
);
CREATE INDEX rm_certification_items_status ON rm_certification_items (status, id);
