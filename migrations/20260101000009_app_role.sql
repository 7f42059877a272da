-- The server works as `normledger_app`, a role that owns nothing: it may read, append events
-- (never update, delete or truncate them), claim 文号, sign checkpoints, touch token use times
-- and write the read model. Migrations, replay and the CLI's administrative commands run as
-- the owner. Roles are cluster-wide; several databases of one cluster share this one.
DO
$$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'normledger_app') THEN
        CREATE ROLE normledger_app LOGIN;
    END IF;
EXCEPTION
    -- Another database's migration created it at the same moment.
    WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

-- Grants, as a function: replay swaps in new read-model tables, which need them again.
CREATE FUNCTION grant_app_privileges() RETURNS void
    LANGUAGE plpgsql AS
$$
BEGIN
    GRANT USAGE ON SCHEMA public TO normledger_app;
    GRANT SELECT, INSERT ON events, document_number_claims, log_checkpoints TO normledger_app;
    GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO normledger_app;
    GRANT SELECT ON snapshots, calendar_years, calendar_days TO normledger_app;
    GRANT SELECT, UPDATE (last_used_at) ON api_tokens TO normledger_app;
    GRANT SELECT, INSERT, UPDATE, DELETE
        ON projection_checkpoints, rm_issuing_bodies, rm_documents, rm_certification_items,
           rm_cleanup_campaigns
        TO normledger_app;
END
$$;

SELECT grant_app_privileges();
