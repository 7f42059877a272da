-- Every reader of the log waits for the oldest running transaction (the safe bound), so one
-- session left idle inside a transaction anywhere on the cluster stops every projector and
-- audit page. The server's own transactions are short; a session of the server's role idle
-- in a transaction for 15 s is a fault, and PostgreSQL ends it. (The private cluster also
-- ends any session idle in a transaction for 60 s; operators of their own PostgreSQL should
-- set `idle_in_transaction_session_timeout` cluster-wide too.)
--
-- The server's role may read what every session is doing (pg_read_all_stats), so that
-- `projectionStatus` can show the age of the oldest running transaction.
--
-- Roles are cluster-wide: each step is skipped when already done (by another database's
-- migration, perhaps at this very moment, which PostgreSQL reports as "tuple concurrently
-- updated"). Both need a role allowed to change roles; where the owner is not, a notice says
-- what to run.
DO
$$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole
                   WHERE r.rolname = 'normledger_app' AND s.setdatabase = 0
                     AND 'idle_in_transaction_session_timeout=15s' = ANY (s.setconfig)) THEN
        ALTER ROLE normledger_app SET idle_in_transaction_session_timeout = '15s';
    END IF;
EXCEPTION
    WHEN insufficient_privilege THEN
        RAISE NOTICE 'run as a superuser: ALTER ROLE normledger_app SET idle_in_transaction_session_timeout = ''15s'';';
    WHEN internal_error OR unique_violation THEN NULL;
END
$$;

DO
$$
BEGIN
    IF NOT pg_has_role('normledger_app', 'pg_read_all_stats', 'MEMBER') THEN
        GRANT pg_read_all_stats TO normledger_app;
    END IF;
EXCEPTION
    WHEN insufficient_privilege THEN
        RAISE NOTICE 'run as a superuser: GRANT pg_read_all_stats TO normledger_app;';
    WHEN internal_error OR unique_violation THEN NULL;
END
$$;
