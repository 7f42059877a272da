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
-- Both need a role allowed to change roles; where the owner is not, a notice says what to run.
DO
$$
BEGIN
    ALTER ROLE normledger_app SET idle_in_transaction_session_timeout = '15s';
    GRANT pg_read_all_stats TO normledger_app;
EXCEPTION
    WHEN insufficient_privilege THEN
        RAISE NOTICE 'run as a superuser: ALTER ROLE normledger_app SET idle_in_transaction_session_timeout = ''15s''; GRANT pg_read_all_stats TO normledger_app;';
END
$$;
