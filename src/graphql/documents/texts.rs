//! A document's texts in the API: the versions, one version with its clauses, the diff of two
//! versions, and the anchors of opinions and issues. Versions are listed from the document's
//! state; a text itself is read from its `TextRecorded` event in the log.

use async_graphql::{Enum, SimpleObject};
use chrono::NaiveDate;
use uuid::Uuid;

use crate::domain::document as d;
use crate::domain::screening::{self, ScreeningRules};
use crate::domain::text;
use crate::graphql::error::{ApiError, ApiResult, gql};
use crate::projection::queries;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::text::TextStage")]
pub enum TextStage {
    /// 征求意见稿 (the drafter's draft).
    Draft,
    /// 送审稿.
    Submitted,
    /// 修改稿.
    Revision,
    /// 印发稿.
    Issued,
    /// 勘误后.
    Corrected,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::text::ClauseKind")]
pub enum ClauseKind {
    Preamble,
    Chapter,
    Section,
    Article,
    Paragraph,
    Item,
    SubItem,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::text::ChangeKind")]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
    Moved,
    Unchanged,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::text::SpanKind")]
pub enum SpanKind {
    Equal,
    Inserted,
    Deleted,
}

/// One version of a document's text (正文).
#[derive(SimpleObject, Clone)]
pub struct TextVersion {
    /// 1, 2, … in the order recorded.
    pub version: u32,
    pub stage: TextStage,
    /// The stage as the documents name it (送审稿, 印发稿…).
    pub stage_label: String,
    /// SHA-256 of the normalised text (NFC, `\n` line endings, no trailing spaces), in hex.
    pub hash: String,
    pub characters: u32,
    pub recorded_on: NaiveDate,
}

impl From<&d::TextVersion> for TextVersion {
    fn from(t: &d::TextVersion) -> Self {
        TextVersion {
            version: t.version,
            stage: t.stage.into(),
            stage_label: t.stage.label().to_owned(),
            hash: t.hash.clone(),
            characters: t.characters as u32,
            recorded_on: t.recorded_on,
        }
    }
}

/// A provision of a version (章, 条, 款, 项, 目), with an id stable within that version.
#[derive(SimpleObject, Clone)]
pub struct Clause {
    /// `art-5`, `art-5-p2`, `art-5-p2-i3`, `art-5-p2-i3-s1`, `ch-2`, `sec-3`, `pre-1`.
    pub id: String,
    pub kind: ClauseKind,
    /// As the text numbers it: 第五条, 第二款, （三）, 1., 第二章, 三、
    pub number: String,
    pub heading: Option<String>,
    pub text: String,
}

impl From<&text::Clause> for Clause {
    fn from(c: &text::Clause) -> Self {
        Clause {
            id: c.id.clone(),
            kind: c.kind.into(),
            number: c.number.clone(),
            heading: c.heading.clone(),
            text: c.text.clone(),
        }
    }
}

/// A text version with its full text and clauses.
#[derive(SimpleObject)]
pub struct DocumentText {
    #[graphql(flatten)]
    pub version: TextVersion,
    pub text: String,
    /// Every clause in reading order.
    pub clauses: Vec<Clause>,
    /// What the screening rules found in this version, clause by clause: prompts for the
    /// reviewer, never refusals.
    pub screening: Vec<ScreeningWarning>,
    /// The higher law this version cites (《…》第N条), clause by clause.
    pub citations: Vec<Citation>,
}

/// A citation of higher law in a clause.
#[derive(SimpleObject)]
pub struct Citation {
    pub clause: String,
    /// The law's title as cited, without 《》.
    pub law: String,
    /// The article cited; null when the law is cited as a whole.
    pub article: Option<u32>,
}

/// A screening rule matched in a clause (国办发〔2018〕37号 "八不得" and the statutes behind
/// them).
#[derive(SimpleObject)]
pub struct ScreeningWarning {
    pub code: String,
    pub label: String,
    /// The clause the words are in.
    pub clause: String,
    /// The words that matched.
    pub matched: String,
    /// What the law says.
    pub rule: String,
    pub source: String,
    /// The legal office's consideration, once recorded.
    pub considered: Option<Consideration>,
}

#[derive(SimpleObject)]
pub struct Consideration {
    pub reason: String,
    pub considered_on: NaiveDate,
}

/// A run of characters of a changed clause.
#[derive(SimpleObject)]
pub struct Span {
    pub kind: SpanKind,
    pub text: String,
}

/// What happened to one clause between two versions.
#[derive(SimpleObject)]
pub struct ClauseChange {
    pub kind: ChangeKind,
    /// The clause in the older version (absent when ADDED).
    pub from_clause: Option<Clause>,
    /// The clause in the newer version (absent when REMOVED).
    pub to_clause: Option<Clause>,
    /// Character-level changes of a CHANGED clause, in order.
    pub spans: Vec<Span>,
}

/// The clause-level diff of two versions.
#[derive(SimpleObject)]
pub struct TextDiff {
    pub from: TextVersion,
    pub to: TextVersion,
    /// In the newer version's order, removed clauses where they stood.
    pub changes: Vec<ClauseChange>,
    /// Clauses that are not UNCHANGED.
    pub changed: u32,
}

/// A clause of another document in force that is like a clause of this text: a possible
/// duplication of, or conflict with, a rule already in force on the same matter
/// (规范性文件之间对同一事项的规定不一致), for the review and the filing authority to check.
#[derive(SimpleObject)]
pub struct Neighbour {
    /// The clause of this text.
    pub clause: String,
    pub other_document_id: String,
    pub other_title: String,
    pub other_number: Option<String>,
    pub other_clause: String,
    pub other_clause_number: String,
    pub other_text: String,
    /// Trigram similarity, 0 to 1.
    pub score: f64,
}

/// Where an opinion or issue points in the text.
#[derive(SimpleObject)]
pub struct Anchor {
    pub version: u32,
    pub clause: String,
    pub quote: Option<String>,
}

impl From<&d::Anchor> for Anchor {
    fn from(a: &d::Anchor) -> Self {
        Anchor {
            version: a.version,
            clause: a.clause.clone(),
            quote: a.quote.clone(),
        }
    }
}

/// The confirmation of a revised text's changes by the legal office.
#[derive(SimpleObject)]
pub struct TextConfirmation {
    pub from_version: u32,
    pub to_version: u32,
    pub accepted_clauses: Vec<String>,
    pub confirmed_on: NaiveDate,
}

/// One version with its text, read from the log.
pub async fn load(
    pool: &sqlx::PgPool,
    id: Uuid,
    version: &d::TextVersion,
) -> ApiResult<(TextVersion, String)> {
    let recorded = queries::document_text(pool, id, version.version)
        .await
        .map_err(gql)?
        .ok_or_else(|| gql(ApiError::Internal))?;
    Ok((TextVersion::from(version), recorded.text))
}

/// The version asked for, or BAD_USER_INPUT naming it.
pub fn version_of<'a>(
    doc: &'a d::NormativeDocument,
    field: &'static str,
    version: u32,
) -> ApiResult<&'a d::TextVersion> {
    doc.text_version(version).ok_or_else(|| {
        gql(ApiError::bad_input(
            field,
            format!("the document has no text version {version}"),
        ))
    })
}

pub fn document_text(
    version: TextVersion,
    text: String,
    rules: &ScreeningRules,
    considered: &[d::ConsideredWarning],
) -> DocumentText {
    let parsed = text::clauses(&text);
    let screening = screening::screen(rules, &parsed)
        .into_iter()
        .map(|h| ScreeningWarning {
            considered: considered
                .iter()
                .find(|c| {
                    c.version == version.version && c.clause == h.clause && c.code == h.rule.code
                })
                .map(|c| Consideration {
                    reason: c.reason.clone(),
                    considered_on: c.considered_on,
                }),
            code: h.rule.code.clone(),
            label: h.rule.label.clone(),
            clause: h.clause,
            matched: h.matched,
            rule: h.rule.rule.clone(),
            source: h.rule.source.clone(),
        })
        .collect();
    DocumentText {
        citations: text::citations(&parsed)
            .into_iter()
            .map(|c| Citation {
                clause: c.clause,
                law: c.law,
                article: c.article,
            })
            .collect(),
        clauses: parsed.iter().map(Clause::from).collect(),
        version,
        text,
        screening,
    }
}

pub fn text_diff(from: (TextVersion, String), to: (TextVersion, String)) -> TextDiff {
    let (a, b) = (text::clauses(&from.1), text::clauses(&to.1));
    let changes: Vec<ClauseChange> = text::diff(&text::diff_units(&a), &text::diff_units(&b))
        .into_iter()
        .map(|c| ClauseChange {
            kind: c.kind.into(),
            from_clause: c.from.map(Clause::from),
            to_clause: c.to.map(Clause::from),
            spans: c
                .spans
                .into_iter()
                .map(|s| Span {
                    kind: s.kind.into(),
                    text: s.text,
                })
                .collect(),
        })
        .collect();
    TextDiff {
        changed: changes
            .iter()
            .filter(|c| c.kind != ChangeKind::Unchanged)
            .count() as u32,
        from: from.0,
        to: to.0,
        changes,
    }
}
