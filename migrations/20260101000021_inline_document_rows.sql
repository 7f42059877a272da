-- A document command writes the document's read-model rows in the append's own transaction
-- (the inline projection). The catch-up projector still reads those events and finds them
-- already held by their rows: it counts them here, apart from `events_skipped`, which keeps
-- meaning "two writers overlapped".
ALTER TABLE projection_checkpoints
    ADD COLUMN events_inline bigint NOT NULL DEFAULT 0;
