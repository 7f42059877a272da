-- Every read-model row knows the last sequence folded into it, so that an event at or below
-- it is skipped (and counted) instead of being folded twice: two writers that both think they
-- own a row (an overlapping replay, a projector whose checkpoint went back) cannot corrupt it.
ALTER TABLE rm_issuing_bodies ADD COLUMN version bigint NOT NULL DEFAULT 0;
UPDATE rm_issuing_bodies b
SET version = coalesce((SELECT max(sequence) FROM events e
                        WHERE e.aggregate_type = 'IssuingBody' AND e.aggregate_id = b.code), 0);

ALTER TABLE projection_checkpoints ADD COLUMN events_skipped bigint NOT NULL DEFAULT 0;
