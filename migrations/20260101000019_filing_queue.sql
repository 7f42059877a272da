-- The filing queue (备案): documents waiting to be filed, waiting for an authority's review,
-- or sent back for a correction. Each is a small part of the documents, found by its filing
-- status; NOT_FILED is every draft's status too, so only issued documents are indexed for it.

CREATE INDEX rm_documents_filing ON rm_documents (filing_status, id)
    WHERE filing_status <> 'NOT_FILED' OR status = 'ISSUED';
