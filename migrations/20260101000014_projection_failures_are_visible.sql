-- A projection that cannot apply an event (a poison event: one its code cannot decode or fold)
-- says so where everyone looks: the failing event's position, the error and since when,
-- written by the projector that met it and cleared by its next successful batch.
ALTER TABLE projection_checkpoints
    ADD COLUMN last_error      text,
    ADD COLUMN last_error_at   timestamptz,
    ADD COLUMN stuck_position  bigint,
    ADD COLUMN errors_total    bigint NOT NULL DEFAULT 0;
