//! Importing a catalogue of documents issued before the ledger existed (存量文件).
//!
//! All or nothing: every row is parsed and checked first — its own coherence, duplicates
//! within the file, the issuing body and its agency code, numbers already held in the ledger
//! — and any error, reported by line, stops the import before anything is written. Each row's
//! document id is derived from its 文号, so re-running an import that was cut off part-way
//! skips the rows already written and completes the rest.

use chrono::NaiveDate;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use uuid::Uuid;

use crate::commands::{Command, CommandError, Ledger, RequestContext};
use crate::domain::document::{DocumentClass, ImportedRecord, check_import};
use crate::domain::{
    Actor, DocumentCommand, DocumentNumber, DocumentServices, DocumentStatus, DomainError, Role,
};
use crate::progress::{Progress, tick};
use crate::store::services::LedgerServices;

/// One row as it appears in the file (CSV columns or JSON fields).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    number: String,
    title: String,
    body_code: String,
    #[serde(default)]
    class: Option<String>,
    issued_on: String,
    #[serde(default)]
    published_on: Option<String>,
    #[serde(default)]
    effective_on: Option<String>,
    valid_until: String,
    status: String,
    #[serde(default)]
    ended_on: Option<String>,
    #[serde(default)]
    filed_on: Option<String>,
    #[serde(default)]
    is_trial: Option<bool>,
    /// Overrides the file-wide provenance for this row.
    #[serde(default)]
    provenance: Option<String>,
}

/// An error in one row of the file (line numbers count from 1, the header included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{} rows have errors; nothing was imported:\n{}", .0.len(), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Rows(Vec<RowError>),
    #[error("the file is not a catalogue: {0}")]
    Format(String),
    #[error("writing {number} failed after the check: {source}")]
    Command {
        number: String,
        source: CommandError,
    },
    #[error(transparent)]
    Package(#[from] crate::store::filing_package::PackageError),
    #[error("the package is for {addressed}, not for {this}")]
    NotAddressedHere { addressed: String, this: String },
}

/// What an import did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub imported: usize,
    /// Rows an earlier, interrupted run of the same file already wrote.
    pub already_present: usize,
}

/// The id an imported document gets: derived from its 文号, so a re-run finds it.
pub fn imported_id(number: &DocumentNumber) -> Uuid {
    let hash = Sha256::digest(format!("normledger-import:{number}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&hash[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// Parses a CSV (with a header row) or JSON (an array of objects) catalogue.
/// A row of the file with the line it starts on, or why it could not be read.
type NumberedRow = (usize, Result<Row, String>);

fn rows(text: &str) -> Result<Vec<NumberedRow>, ImportError> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        let values: Vec<serde_json::Value> =
            serde_json::from_str(trimmed).map_err(|e| ImportError::Format(e.to_string()))?;
        return Ok(values
            .into_iter()
            .enumerate()
            .map(|(i, v)| (i + 1, serde_json::from_value(v).map_err(|e| e.to_string())))
            .collect());
    }
    let mut records = csv_records(text).into_iter();
    let Some((_, header)) = records.next() else {
        return Err(ImportError::Format("the file is empty".into()));
    };
    let header: Vec<String> = header.iter().map(|h| h.trim().to_owned()).collect();
    Ok(records
        .filter(|(_, fields)| fields.iter().any(|f| !f.trim().is_empty()))
        .map(|(line, fields)| {
            if fields.len() != header.len() {
                return (
                    line,
                    Err(format!(
                        "{} fields where the header has {}",
                        fields.len(),
                        header.len()
                    )),
                );
            }
            let object: serde_json::Map<String, serde_json::Value> = header
                .iter()
                .zip(fields)
                .filter(|(_, v)| !v.trim().is_empty())
                .map(|(k, v)| {
                    let v = v.trim().to_owned();
                    let value = match (k.as_str(), v.as_str()) {
                        ("is_trial", "true") => true.into(),
                        ("is_trial", "false") => false.into(),
                        _ => v.into(),
                    };
                    (k.clone(), value)
                })
                .collect();
            (
                line,
                serde_json::from_value(object.into()).map_err(|e| e.to_string()),
            )
        })
        .collect())
}

/// RFC 4180 records (the `csv` crate) with the line each starts on: quoted fields may hold
/// commas, quotes ("") and line breaks. The reader's errors are invalid UTF-8, records of
/// unequal length and I/O; none can occur on a `&str` read with flexible lengths.
fn csv_records(text: &str) -> Vec<(usize, Vec<String>)> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    reader
        .records()
        .map_while(Result::ok)
        .map(|r| {
            let line = r.position().map_or(0, |p| p.line() as usize);
            (line, r.iter().map(str::to_owned).collect())
        })
        .collect()
}

fn date(field: &str, value: &str) -> Result<NaiveDate, String> {
    value
        .trim()
        .parse()
        .map_err(|_| format!("{field}: {value:?} is not a date (YYYY-MM-DD)"))
}

fn record(row: Row, provenance: &str) -> Result<ImportedRecord, String> {
    let number = DocumentNumber::parse(&row.number).map_err(|e| format!("number: {e}"))?;
    let issued_on = date("issued_on", &row.issued_on)?;
    let published_on = match &row.published_on {
        Some(p) => date("published_on", p)?,
        None => issued_on,
    };
    let effective_on = match &row.effective_on {
        Some(e) => date("effective_on", e)?,
        None => published_on,
    };
    let status: DocumentStatus = serde_json::from_value(row.status.trim().into())
        .map_err(|_| format!("status: {:?} is not a document status", row.status))?;
    let class: DocumentClass = match &row.class {
        Some(c) => serde_json::from_value(c.trim().into())
            .map_err(|_| format!("class: {c:?} is not GOVERNMENT or DEPARTMENT"))?,
        None => DocumentClass::Government,
    };
    Ok(ImportedRecord {
        body_code: row.body_code.trim().to_owned(),
        title: row.title.trim().to_owned(),
        class,
        is_trial: row.is_trial.unwrap_or(false),
        number,
        issued_on,
        published_on,
        effective_on,
        valid_until: date("valid_until", &row.valid_until)?,
        status,
        ended_on: row
            .ended_on
            .as_deref()
            .map(|e| date("ended_on", e))
            .transpose()?,
        filed_on: row
            .filed_on
            .as_deref()
            .map(|f| date("filed_on", f))
            .transpose()?,
        provenance: row.provenance.unwrap_or_else(|| provenance.to_owned()),
    })
}

/// Checks every row against itself, the file and the ledger; returns the records to write
/// with their ids, and how many an earlier run already wrote.
async fn check(
    ledger: &Ledger,
    text: &str,
    provenance: &str,
) -> Result<(Vec<(Uuid, ImportedRecord)>, usize), ImportError> {
    let services = LedgerServices::new(ledger.pool().clone());
    let mut errors = vec![];
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut todo = vec![];
    let mut present = 0;
    for (line, row) in rows(text)? {
        let mut fail = |message: String| errors.push(RowError { line, message });
        let r = match row.and_then(|r| record(r, provenance)) {
            Ok(r) => r,
            Err(e) => {
                fail(e);
                continue;
            }
        };
        if let Err(e) = check_import(&r) {
            fail(e.to_string());
            continue;
        }
        let number = r.number.to_string();
        if let Some(first) = seen.insert(number.clone(), line) {
            fail(format!("{number} is also on line {first}"));
            continue;
        }
        let id = imported_id(&r.number);
        let body = services
            .issuing_body(&r.body_code)
            .await
            .map_err(|e| ImportError::Format(format!("the ledger could not be read: {e}")))?;
        match body {
            None => fail(format!("issuing body {} is not listed", r.body_code)),
            Some(b) if !b.has_agency_code(&r.number.agency_code) => fail(
                DomainError::AgencyCodeNotOfBody {
                    code: r.body_code.clone(),
                    agency_code: r.number.agency_code.clone(),
                }
                .to_string(),
            ),
            Some(_) => match services.document_number_holder(&r.number).await {
                Ok(Some(holder)) if holder == id.to_string() && same(ledger, id, &r).await? => {
                    present += 1
                }
                Ok(Some(holder)) => fail(format!("{number} is already held by document {holder}")),
                Ok(None) => todo.push((id, r)),
                Err(e) => {
                    return Err(ImportError::Format(format!(
                        "the ledger could not be read: {e}"
                    )));
                }
            },
        }
    }
    if errors.is_empty() {
        Ok((todo, present))
    } else {
        Err(ImportError::Rows(errors))
    }
}

/// Whether the document `id` was imported from this very record (an earlier run of the file).
async fn same(ledger: &Ledger, id: Uuid, r: &ImportedRecord) -> Result<bool, ImportError> {
    let doc = crate::store::event_log::fold::<crate::domain::NormativeDocument>(
        ledger.pool(),
        &id.to_string(),
        None,
    )
    .await
    .map_err(|e| ImportError::Format(format!("the ledger could not be read: {e}")))?;
    Ok(doc.is_some_and(|(d, _)| {
        d.draft.as_ref().is_some_and(|dr| dr.title == r.title)
            && d.issuance
                .as_ref()
                .is_some_and(|i| i.issued_on == r.issued_on)
    }))
}

/// Imports a catalogue (CSV with a header row, or a JSON array) as the SYSTEM actor named
/// `operator`, with `provenance` recorded on every document.
pub async fn import_documents(
    ledger: &Ledger,
    text: &str,
    provenance: &str,
    operator: &str,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<ImportSummary, ImportError> {
    let (todo, already_present) = check(ledger, text, provenance).await?;
    let ctx = RequestContext::new(operator_actor("import", "catalogue import", operator), None);
    let mut summary = ImportSummary {
        imported: 0,
        already_present,
    };
    let total = Some(todo.len() as u64);
    for (id, record) in todo {
        let number = record.number.to_string();
        let command = Command::Document {
            id,
            command: DocumentCommand::Import {
                id: id.to_string(),
                record,
            },
        };
        ledger
            .execute(&ctx, command)
            .await
            .map_err(|source| ImportError::Command { number, source })?;
        summary.imported += 1;
        tick(progress, summary.imported as u64, total);
    }
    Ok(summary)
}

/// The ledger itself (SYSTEM) importing, on behalf of the operator named on the command line.
fn operator_actor(kind: &str, what: &str, operator: &str) -> Actor {
    Actor {
        id: format!("system:{kind}:{operator}"),
        name: format!("{what} by {operator}"),
        role: Role::System,
        bodies: vec![],
    }
}

/// Imports a filing package this ledger received as a filing authority (备案机关, `as_authority`):
/// the proofs are checked first (against `trusted_key` when given); then the document enters
/// as a document issued elsewhere (`DocumentImported`, under its own id), its provenance
/// naming the package, its checkpoint and the key that signed it. The issuing body must be
/// listed here with the document's 代字, as for any import. Returns the document's id.
pub async fn import_filing_package(
    ledger: &Ledger,
    text: &str,
    as_authority: &str,
    trusted_key: Option<[u8; 32]>,
    operator: &str,
) -> Result<Uuid, ImportError> {
    use crate::store::filing_package::{self, FilingPackage, PackageError};
    let package: FilingPackage =
        serde_json::from_str(text).map_err(|e| ImportError::Format(e.to_string()))?;
    let verified = filing_package::verify(&package, trusted_key)?;
    if package.authority != as_authority {
        return Err(ImportError::NotAddressedHere {
            addressed: package.authority,
            this: as_authority.to_owned(),
        });
    }
    let mut doc = crate::domain::NormativeDocument::default();
    for e in &package.history {
        let event: crate::domain::DocumentEvent = serde_json::from_str(&e.payload)
            .map_err(|err| PackageError::Invalid(format!("event {}: {err}", e.position)))?;
        cqrs_es::Aggregate::apply(&mut doc, event);
    }
    let (Some(draft), Some(issuance)) = (doc.draft, doc.issuance) else {
        return Err(PackageError::NotIssued.into());
    };
    let id = Uuid::parse_str(&package.document_id)
        .map_err(|_| PackageError::Invalid("the document id is not a UUID".into()))?;
    let record = ImportedRecord {
        body_code: draft.body_code,
        title: draft.title,
        class: draft.class,
        is_trial: draft.is_trial,
        number: issuance.number,
        issued_on: issuance.issued_on,
        published_on: issuance.published_on,
        effective_on: issuance.effective_on,
        valid_until: issuance.valid_until,
        status: doc.status,
        ended_on: doc.ending.map(|e| e.on),
        filed_on: package.filed_on,
        provenance: format!(
            "备案 filing package received as {as_authority}: checkpoint {} taken {} signed by key {}; package SHA-256 {}",
            verified.digest,
            verified.taken_at,
            crate::store::integrity::hex(&verified.public_key),
            crate::store::integrity::hex(&Sha256::digest(text.as_bytes())),
        ),
    };
    let number = record.number.to_string();
    let actor = operator_actor("filing-import", "filing package import", operator);
    let command = Command::Document {
        id,
        command: DocumentCommand::Import {
            id: id.to_string(),
            record,
        },
    };
    ledger
        .execute(&RequestContext::new(actor, None), command)
        .await
        .map_err(|source| ImportError::Command { number, source })?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_may_be_quoted_with_commas_quotes_and_line_breaks() {
        let text = "a,b\n\"x, \"\"y\"\"\",z\n\"multi\nline\",w\n";
        let records = csv_records(text);
        assert_eq!(records[1], (2, vec!["x, \"y\"".to_owned(), "z".to_owned()]));
        assert_eq!(
            records[2],
            (3, vec!["multi\nline".to_owned(), "w".to_owned()])
        );
    }

    #[test]
    fn rows_report_their_own_errors_by_line() {
        let text = "number,title,body_code,issued_on,valid_until,status\n\
                    南府发〔2015〕3号,甲,NCX-GOV,2015-03-01,2020-02-29,EXPIRED\n\
                    南府发2015-4,乙,NCX-GOV,2015-03-01,2020-02-29,ISSUED\n\
                    南府发〔2015〕5号,丙,NCX-GOV,March,2020-02-29,ISSUED\n";
        let parsed: Vec<_> = rows(text)
            .unwrap()
            .into_iter()
            .map(|(line, r)| (line, r.and_then(|r| record(r, "目录"))))
            .collect();
        assert_eq!(parsed.len(), 3);
        assert!(parsed[0].1.is_ok(), "{:?}", parsed[0]);
        assert_eq!(parsed[1].0, 3);
        assert!(parsed[1].1.as_ref().unwrap_err().starts_with("number"));
        assert_eq!(parsed[2].0, 4);
        assert!(parsed[2].1.as_ref().unwrap_err().starts_with("issued_on"));
    }

    #[test]
    fn json_catalogues_report_errors_by_record() {
        let text = r#"[
            {"number": "南府发〔2015〕3号", "title": "甲", "body_code": "NCX-GOV",
             "issued_on": "2015-03-01", "valid_until": "2020-02-29", "status": "ISSUED",
             "is_trial": true},
            {"number": "南府发〔2015〕4号", "title": "乙", "body_code": "NCX-GOV",
             "issued_on": "2015-03-01", "valid_until": "2020-02-29", "status": "ISSUED",
             "unknown_column": 1}
        ]"#;
        let mut parsed = rows(text).unwrap();
        assert_eq!(parsed.len(), 2);
        let (line, second) = parsed.pop().unwrap();
        assert_eq!(line, 2);
        assert!(second.unwrap_err().contains("unknown_column"));
        let (line, first) = parsed.pop().unwrap();
        assert_eq!(line, 1);
        let r = record(first.unwrap(), "目录").unwrap();
        assert!(r.is_trial);
        assert_eq!(
            r.published_on, r.issued_on,
            "published_on defaults to issued_on"
        );
        assert!(matches!(rows("[not json"), Err(ImportError::Format(_))));
    }

    #[test]
    fn the_id_is_derived_from_the_number() {
        let n = DocumentNumber::parse("南府发〔2015〕3号").unwrap();
        assert_eq!(imported_id(&n), imported_id(&n));
        let m = DocumentNumber::parse("南府发〔2015〕4号").unwrap();
        assert_ne!(imported_id(&n), imported_id(&m));
    }
}
