-- Filing (备案) per authority: when an authority asks the body to correct a document
-- (建议自行纠正), the body has until a deadline to answer by filing again. The read model keeps
-- the earliest unanswered deadline of a document in force, so the list of overdue corrections
-- (`overdueFilingCorrections`) is one index range. No filing before this migration had a
-- deadline: existing rows stay NULL.

ALTER TABLE rm_documents ADD COLUMN correction_due_on date;
CREATE INDEX rm_documents_correction_due ON rm_documents (correction_due_on, id)
    WHERE correction_due_on IS NOT NULL;
