-- Large values (an event carrying a document's text, a document's state with its reviews and
-- opinions) pass PostgreSQL's 2 kB threshold and are compressed. The default method, pglz,
-- was the largest single cost of the console's pages on the 1M-event benchmark (most of the
-- database's CPU went to decompressing them). lz4 decompresses several times faster for a
-- similar size. Only values written from now on use it: nothing already stored is rewritten
-- (events are never updated), and a replay rewrites the read model. The logical value, and
-- so every hash of the chain, is unchanged: compression is below the value.
--
-- lz4 is optional when PostgreSQL is built; without it the columns keep pglz.
DO $$
BEGIN
    IF 'lz4' = ANY (SELECT unnest(enumvals) FROM pg_settings WHERE name = 'default_toast_compression') THEN
        ALTER TABLE events ALTER COLUMN payload SET COMPRESSION lz4;
        ALTER TABLE rm_documents ALTER COLUMN state SET COMPRESSION lz4;
        ALTER TABLE rm_certification_items ALTER COLUMN state SET COMPRESSION lz4;
        ALTER TABLE rm_cleanup_campaigns ALTER COLUMN state SET COMPRESSION lz4;
        ALTER TABLE rm_issuing_bodies ALTER COLUMN state SET COMPRESSION lz4;
    ELSE
        RAISE NOTICE 'this PostgreSQL has no lz4: large values stay compressed with pglz';
    END IF;
END
$$;
