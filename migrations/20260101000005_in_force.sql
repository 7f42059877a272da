-- Legal time: the day a document stopped being in force early (repeal and the like), so that
-- `documents(filter: {inForceOn})` can answer from the read model.
ALTER TABLE rm_documents ADD COLUMN ended_on date;
UPDATE rm_documents SET ended_on = (state -> 'ending' ->> 'on')::date WHERE state -> 'ending' <> 'null';
CREATE INDEX rm_documents_effective ON rm_documents (effective_on) WHERE effective_on IS NOT NULL;
