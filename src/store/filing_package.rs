//! The filing package (备案材料): what a filing authority receives, with the proofs that it is
//! what the ledger holds. One JSON file:
//!
//! - `items`: 备案报告 (generated from the record), the text issued (正式文本), the drafting
//!   explanation(s) (起草说明) and the legality review opinion (合法性审核意见), each with its
//!   SHA-256;
//! - `history`: every event of the document as the log holds it (the exact texts hashed);
//! - `proof`: a signed checkpoint of the whole log, the root of the log before the document's
//!   first event, and the hashes of every event from there to the checkpoint, so that folding
//!   them gives the signed root.
//!
//! [`verify`] checks it with no database: the items against the events, each event's chain
//! hash, the fold to the checkpoint's root and count, and the Ed25519 signature.
//! `scripts/verify-filing-package.py` does the same in a short Python script.

use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, VerifyingKey};
use futures::TryStreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::domain::document::{MaterialKind, NormativeDocument};
use crate::store::checkpoints::{self, Checkpoint};
use crate::store::integrity::{self, GENESIS, HashedRow, LogDigest, hex, unhex};
use crate::store::{StoreError, event_log};

/// The format's name and version, first in every package.
pub const FORMAT: &str = "normledger-filing-package/1";

#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("no document {0}")]
    NoDocument(String),
    #[error("the document is not issued: a filing package is made of an issued document")]
    NotIssued,
    #[error("the document is not filed with {0}")]
    NotFiledWith(String),
    #[error(
        "no signed checkpoint covers the document's last event yet: take one (`normledger checkpoint`) and try again"
    )]
    NoCheckpoint,
    /// The package does not prove what it claims; the message says where.
    #[error("the package does not verify: {0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// One file of the package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// FILING_REPORT, ISSUED_TEXT, DRAFTING_EXPLANATION, REVIEW_OPINION.
    pub kind: String,
    pub name: String,
    pub content_type: String,
    /// SHA-256 of the bytes, in hex.
    pub sha256: String,
    /// The bytes: UTF-8 text as is, anything else in base64.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_base64: Option<String>,
    /// The event (log position) whose payload holds this item's hash or text; none for the
    /// generated report.
    pub source_position: Option<i64>,
}

/// An event as the log holds it: the fields of the canonical form, and its hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackagedEvent {
    pub position: i64,
    pub transaction_id: i64,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    /// PostgreSQL's jsonb rendering, as hashed.
    pub payload: String,
    pub metadata: String,
    pub recorded_at: String,
    pub hash: String,
}

/// The signed checkpoint, as it was signed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackagedCheckpoint {
    /// `nl1:<transaction bound>:<events>:<root>`.
    pub digest: String,
    pub last_position: i64,
    pub taken_at: String,
    pub public_key: String,
    pub signature: String,
    /// The exact text signed.
    pub message: String,
}

/// How the document's events reach the signed root.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Proof {
    pub checkpoint: PackagedCheckpoint,
    /// Events of the log before the document's first, in commit order, and their root.
    pub prefix_events: i64,
    pub prefix_root: String,
    /// `[position, hash]` of every event from the document's first to the checkpoint, in
    /// commit order.
    pub suffix: Vec<(i64, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilingPackage {
    pub format: String,
    pub document_id: String,
    pub number: String,
    pub title: String,
    pub issuing_body: String,
    /// The authority the package is for (备案机关).
    pub authority: String,
    pub filed_on: Option<chrono::NaiveDate>,
    pub items: Vec<Item>,
    pub history: Vec<PackagedEvent>,
    pub proof: Proof,
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn text_item(kind: &str, name: String, text: String, source: Option<i64>) -> Item {
    Item {
        kind: kind.into(),
        name,
        content_type: "text/plain; charset=utf-8".into(),
        sha256: sha256_hex(text.as_bytes()),
        text: Some(text),
        content_base64: None,
        source_position: source,
    }
}

fn packaged(row: &HashedRow) -> PackagedEvent {
    PackagedEvent {
        position: row.position,
        transaction_id: row.transaction_id,
        aggregate_type: row.aggregate_type.clone(),
        aggregate_id: row.aggregate_id.clone(),
        sequence: row.sequence,
        event_type: row.event_type.clone(),
        event_version: row.event_version.clone(),
        payload: row.payload.clone(),
        metadata: row.metadata.clone(),
        recorded_at: integrity::canonical_time(row.recorded_at),
        hash: hex(&row.hash),
    }
}

/// The package of document `id` for `authority` (default: the first it is filed with),
/// proven by the newest checkpoint that covers the document's last event.
pub async fn build(
    pool: &PgPool,
    id: uuid::Uuid,
    authority: Option<&str>,
) -> Result<FilingPackage, PackageError> {
    let key = id.to_string();
    let (doc, _) = event_log::fold::<NormativeDocument>(pool, &key, None)
        .await?
        .ok_or_else(|| PackageError::NoDocument(key.clone()))?;
    let (Some(draft), Some(issuance)) = (&doc.draft, &doc.issuance) else {
        return Err(PackageError::NotIssued);
    };
    let filing = match authority {
        Some(a) => Some(
            doc.current_filings()
                .into_iter()
                .find(|f| f.authority == a)
                .ok_or_else(|| PackageError::NotFiledWith(a.to_owned()))?,
        ),
        None => doc.current_filings().into_iter().next(),
    };
    let authority = filing
        .map(|f| f.authority.clone())
        .or_else(|| authority.map(str::to_owned))
        .unwrap_or_default();
    let rows: Vec<HashedRow> = sqlx::query_as(
        "SELECT position, transaction_id::text::bigint AS transaction_id, aggregate_type,
                aggregate_id, sequence, event_type, event_version, payload::text AS payload,
                metadata::text AS metadata, recorded_at, hash
         FROM events WHERE aggregate_type = 'NormativeDocument' AND aggregate_id = $1
         ORDER BY sequence",
    )
    .bind(&key)
    .fetch_all(pool)
    .await?;
    let newest_txn = rows.iter().map(|r| r.transaction_id).max().unwrap_or(0);
    let checkpoint = checkpoints::recent(pool, 50)
        .await?
        .into_iter()
        .find(|c| c.digest.transaction_bound > newest_txn)
        .ok_or(PackageError::NoCheckpoint)?;
    let proof = prove(pool, &rows, &checkpoint).await?;

    let position_of = |event_type: &str, matches: &dyn Fn(&serde_json::Value) -> bool| {
        rows.iter()
            .rev()
            .find(|r| {
                r.event_type == event_type
                    && serde_json::from_str::<serde_json::Value>(&r.payload)
                        .is_ok_and(|p| matches(&p[event_type]))
            })
            .map(|r| r.position)
    };
    let mut items = vec![];
    // The conclusion the document went forward on: the last one.
    let conclusion = doc.reviews.last().and_then(|r| r.conclusions.last());
    let meeting = doc.deliberations.last();
    let report = format!(
        "关于《{title}》的备案报告\n\n{authority}：\n\n\
         根据《规章制定程序条例》和行政规范性文件备案审查的规定，现将《{title}》（{number}）报送备案。\n\
         制定机关：{body}\n\
         合法性审核：{review}\n\
         集体审议：{meeting}\n\
         成文日期：{issued}；发布日期：{published}；施行日期：{effective}；有效期至：{until}\n\
         报送日期：{filed}\n\n\
         附件：1. 正式文本 2. 起草说明 3. 合法性审核意见\n\n\
         (Generated by normledger from the document's record; each attachment's SHA-256 and \
         the document's events follow in this package.)\n",
        title = draft.title,
        number = issuance.number,
        body = draft.body_code,
        review = conclusion
            .map(|c| format!("{:?}（{}）", c.outcome, c.concluded_on))
            .unwrap_or_else(|| "none on record".into()),
        meeting = meeting
            .map(|m| format!("{}（{}）", m.meeting, m.held_on))
            .unwrap_or_else(|| "none on record".into()),
        issued = issuance.issued_on,
        published = issuance.published_on,
        effective = issuance.effective_on,
        until = issuance.valid_until,
        filed = filing
            .map(|f| f.filed_on.to_string())
            .unwrap_or_else(|| "not yet filed".into()),
    );
    items.push(text_item(
        "FILING_REPORT",
        "备案报告.txt".into(),
        report,
        None,
    ));
    let issued_text = issuance.text_version.and_then(|v| {
        doc.texts
            .iter()
            .rev()
            .find(|t| t.version == v || t.stage == crate::domain::text::TextStage::Corrected)
    });
    if let Some(t) = issued_text {
        let hash = t.hash.clone();
        items.push(text_item(
            "ISSUED_TEXT",
            format!("正式文本（第{}版）.txt", t.version),
            t.text.clone(),
            position_of("TextRecorded", &|p| p["hash"] == hash.as_str()),
        ));
    }
    for a in doc
        .attachments
        .iter()
        .filter(|a| a.kind == MaterialKind::DraftingExplanation)
    {
        let sha = a.sha256.clone();
        // The bytes are in the event that added the file.
        let content = rows
            .iter()
            .filter(|r| r.event_type == "AttachmentAdded")
            .filter_map(|r| serde_json::from_str::<serde_json::Value>(&r.payload).ok())
            .find(|p| p["AttachmentAdded"]["sha256"] == sha.as_str())
            .and_then(|p| {
                p["AttachmentAdded"]["content_base64"]
                    .as_str()
                    .map(str::to_owned)
            })
            .unwrap_or_default();
        items.push(Item {
            kind: "DRAFTING_EXPLANATION".into(),
            name: a.name.clone(),
            content_type: a.content_type.clone(),
            sha256: a.sha256.clone(),
            text: None,
            content_base64: Some(content),
            source_position: position_of("AttachmentAdded", &|p| p["sha256"] == sha.as_str()),
        });
    }
    if let Some(c) = conclusion {
        let text = c.opinion.clone();
        items.push(text_item(
            "REVIEW_OPINION",
            "合法性审核意见.txt".into(),
            c.opinion.clone(),
            position_of("ReviewConcluded", &|p| p["opinion"] == text.as_str()),
        ));
    }
    Ok(FilingPackage {
        format: FORMAT.into(),
        document_id: key,
        number: issuance.number.to_string(),
        title: draft.title.clone(),
        issuing_body: draft.body_code.clone(),
        authority,
        filed_on: filing.map(|f| f.filed_on),
        items,
        history: rows.iter().map(packaged).collect(),
        proof,
    })
}

/// The prefix root before the document's first event, and every hash from it to the
/// checkpoint, read in one pass over the log in commit order.
async fn prove(
    pool: &PgPool,
    rows: &[HashedRow],
    checkpoint: &Checkpoint,
) -> Result<Proof, PackageError> {
    let first = rows
        .iter()
        .map(|r| (r.transaction_id, r.position))
        .min()
        .ok_or(PackageError::NotIssued)?;
    let bound = checkpoint.digest.transaction_bound;
    let (mut root, mut events) = (GENESIS, 0i64);
    let (mut prefix_root, mut prefix_events) = (None, 0);
    let mut suffix = vec![];
    let mut all = integrity::export_rows(pool);
    while let Some(r) = all.try_next().await? {
        if r.transaction_id >= bound {
            continue;
        }
        if prefix_root.is_none() && (r.transaction_id, r.position) >= first {
            prefix_root = Some(root);
            prefix_events = events;
        }
        if prefix_root.is_some() {
            suffix.push((r.position, hex(&r.hash)));
        }
        root = extend(&root, &r.hash);
        events += 1;
    }
    if root != checkpoint.digest.root || events != checkpoint.digest.events {
        return Err(PackageError::Invalid(
            "the log no longer folds to the checkpoint's root: run verifyIntegrity".into(),
        ));
    }
    Ok(Proof {
        checkpoint: PackagedCheckpoint {
            digest: checkpoint.digest.to_string(),
            last_position: checkpoint.digest.last_position,
            taken_at: integrity::canonical_time(checkpoint.taken_at),
            public_key: hex(&checkpoint.public_key),
            signature: hex(&checkpoint.signature),
            message: Checkpoint::message(&checkpoint.digest, checkpoint.taken_at),
        },
        prefix_events,
        prefix_root: hex(&prefix_root.unwrap_or(root)),
        suffix,
    })
}

fn extend(root: &[u8; 32], hash: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(root);
    h.update(hash);
    h.finalize().into()
}

/// What a verified package proves.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    pub public_key: [u8; 32],
    pub digest: String,
    pub taken_at: String,
    pub events: usize,
    pub items: usize,
}

/// Checks a package with no database. With `trusted_key`, the checkpoint must be signed by it.
pub fn verify(p: &FilingPackage, trusted_key: Option<[u8; 32]>) -> Result<Verified, PackageError> {
    let bad = |m: String| PackageError::Invalid(m);
    if p.format != FORMAT {
        return Err(bad(format!("unknown format {:?}", p.format)));
    }
    // 1. Each item is what it says, and what the events recorded.
    let payload_of = |position: i64| {
        p.history
            .iter()
            .find(|e| e.position == position)
            .and_then(|e| {
                serde_json::from_str::<serde_json::Value>(&e.payload)
                    .ok()
                    .map(|v| (e, v))
            })
    };
    for item in &p.items {
        let bytes = match (&item.text, &item.content_base64) {
            (Some(t), None) => t.as_bytes().to_vec(),
            (None, Some(b)) => {
                use base64::Engine;
                base64::engine::general_purpose::STANDARD
                    .decode(b)
                    .map_err(|_| bad(format!("{} does not decode", item.name)))?
            }
            _ => return Err(bad(format!("{} has no single content", item.name))),
        };
        if sha256_hex(&bytes) != item.sha256 {
            return Err(bad(format!("{} does not hash to its SHA-256", item.name)));
        }
        let recorded = |event_type: &str, field: &str| -> Result<String, PackageError> {
            let (e, v) = item
                .source_position
                .and_then(payload_of)
                .ok_or_else(|| bad(format!("{} names no event of the history", item.name)))?;
            if e.event_type != event_type {
                return Err(bad(format!("{} names a {} event", item.name, e.event_type)));
            }
            Ok(v[event_type][field].as_str().unwrap_or_default().to_owned())
        };
        let matches = match item.kind.as_str() {
            "FILING_REPORT" => true,
            "ISSUED_TEXT" => recorded("TextRecorded", "hash")? == item.sha256,
            "DRAFTING_EXPLANATION" => recorded("AttachmentAdded", "sha256")? == item.sha256,
            "REVIEW_OPINION" => Some(recorded("ReviewConcluded", "opinion")?) == item.text,
            other => return Err(bad(format!("unknown item kind {other}"))),
        };
        if !matches {
            return Err(bad(format!("{} is not what its event recorded", item.name)));
        }
    }
    // 2. The history is the document's whole stream, each event chained to the last.
    let mut previous = GENESIS.to_vec();
    for (i, e) in p.history.iter().enumerate() {
        if e.sequence != i as i64 + 1 || e.aggregate_id != p.document_id {
            return Err(bad(format!(
                "event at position {} is out of the stream",
                e.position
            )));
        }
        let recorded_at = DateTime::parse_from_rfc3339(&e.recorded_at)
            .map_err(|_| bad(format!("event {} has a bad time", e.position)))?
            .with_timezone(&Utc);
        let row = HashedRow {
            position: e.position,
            transaction_id: e.transaction_id,
            aggregate_type: e.aggregate_type.clone(),
            aggregate_id: e.aggregate_id.clone(),
            sequence: e.sequence,
            event_type: e.event_type.clone(),
            event_version: e.event_version.clone(),
            payload: e.payload.clone(),
            metadata: e.metadata.clone(),
            recorded_at,
            hash: vec![],
        };
        let hash = integrity::chain_hash(&previous, &row);
        if hex(&hash) != e.hash {
            return Err(bad(format!(
                "event at position {} does not hash to its recorded hash",
                e.position
            )));
        }
        previous = hash.to_vec();
    }
    // 3. The events are in the log the checkpoint signs.
    let proof = &p.proof;
    let digest: LogDigest = proof.checkpoint.digest.parse().map_err(bad)?;
    let mut root: [u8; 32] = unhex(&proof.prefix_root)
        .and_then(|r| r.try_into().ok())
        .ok_or_else(|| bad("bad prefix root".into()))?;
    for (_, h) in &proof.suffix {
        let h = unhex(h).ok_or_else(|| bad("bad hash in the proof".into()))?;
        root = extend(&root, &h);
    }
    if root != digest.root || proof.prefix_events + proof.suffix.len() as i64 != digest.events {
        return Err(bad(
            "the proof does not fold to the checkpoint's root".into()
        ));
    }
    for e in &p.history {
        if !proof
            .suffix
            .iter()
            .any(|(pos, h)| *pos == e.position && *h == e.hash)
        {
            return Err(bad(format!(
                "event at position {} is not among the checkpoint's events",
                e.position
            )));
        }
    }
    // 4. The checkpoint is signed.
    let key: [u8; 32] = unhex(&proof.checkpoint.public_key)
        .and_then(|k| k.try_into().ok())
        .ok_or_else(|| bad("bad public key".into()))?;
    if trusted_key.is_some_and(|t| t != key) {
        return Err(bad(
            "the checkpoint is signed by another key than the one trusted".into(),
        ));
    }
    let signature: [u8; 64] = unhex(&proof.checkpoint.signature)
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| bad("bad signature".into()))?;
    let expected = format!(
        "normledger checkpoint v1\ndigest {}\nlast_position {}\ntaken_at {}\n",
        proof.checkpoint.digest, proof.checkpoint.last_position, proof.checkpoint.taken_at
    );
    if expected != proof.checkpoint.message {
        return Err(bad("the signed message is not the checkpoint's".into()));
    }
    VerifyingKey::from_bytes(&key)
        .ok()
        .filter(|k| {
            k.verify_strict(expected.as_bytes(), &Signature::from_bytes(&signature))
                .is_ok()
        })
        .ok_or_else(|| bad("the checkpoint's signature does not verify".into()))?;
    Ok(Verified {
        public_key: key,
        digest: proof.checkpoint.digest.clone(),
        taken_at: proof.checkpoint.taken_at.clone(),
        events: p.history.len(),
        items: p.items.len(),
    })
}
