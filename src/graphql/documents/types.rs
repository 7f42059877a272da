//! GraphQL output types of documents, built from the domain's folded state.
//! The domain knows nothing of GraphQL; these mirrors and conversions are the price of that.

use async_graphql::{Context, Enum, ErrorExtensions, ID, Object, SimpleObject};
use chrono::NaiveDate;

use crate::domain::document as d;
use crate::graphql::Session;
use crate::graphql::audit::AuditEvent;
use crate::graphql::documents::texts::{
    self, Anchor, DocumentText, Neighbour, TextConfirmation, TextDiff, TextVersion,
};
use crate::graphql::error::{ApiResult, gql};
use crate::projection::queries::DocumentRow;
use crate::store::event_log;
use std::sync::Arc;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::DocumentStatus")]
pub enum DocumentStatus {
    Drafting,
    Consultation,
    Submitted,
    UnderReview,
    Revising,
    AwaitingDeliberation,
    Approved,
    Issued,
    Expired,
    Repealed,
    DeclaredInvalid,
    Revoked,
    Superseded,
    Withdrawn,
    Rejected,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::FilingStatus")]
pub enum FilingStatus {
    NotFiled,
    /// Filed; an authority has not decided yet.
    Filed,
    /// Every authority accepted it (准予备案).
    Accepted,
    /// An authority asked for a correction or for materials: filed again once answered.
    CorrectionRequired,
    /// An authority refused to record it (不予备案).
    Refused,
    /// An authority revoked it (撤销): the document has ended.
    Revoked,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::document::DocumentClass")]
pub enum DocumentClass {
    Government,
    Department,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::document::ReviewOutcome")]
pub enum ReviewOutcome {
    Lawful,
    MustRevise,
    Unlawful,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::document::DeliberationOutcome")]
pub enum DeliberationOutcome {
    Approved,
    ApprovedWithChanges,
    Rejected,
    Deferred,
}

/// The meeting that deliberates (集体审议): a government's documents by its executive or plenary
/// meeting, a department's by its office meeting, a township's by its head's office meeting.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::document::MeetingType")]
pub enum MeetingType {
    /// 政府常务会议.
    ExecutiveMeeting,
    /// 政府全体会议.
    PlenaryMeeting,
    /// 部门办公会议.
    DepartmentMeeting,
    /// 乡镇长办公会议.
    TownshipMeeting,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::document::FilingReviewOutcome")]
pub enum FilingReviewOutcome {
    /// 准予备案.
    Accepted,
    /// 建议自行纠正: corrected by `correctionDueOn`, then filed again.
    CorrectionRequired,
    /// 补正后登记: recorded once the missing materials are filed.
    MaterialsRequested,
    /// 撤销: ends the document.
    Revoked,
    /// 不予备案.
    Refused,
}

impl DocumentStatus {
    /// The status as the read model's `status` column holds it (a filter's value).
    pub(crate) fn column(self) -> String {
        crate::domain::DocumentStatus::from(self)
            .as_str()
            .to_owned()
    }
}

/// Normative document (行政规范性文件): status, key dates, review, deliberation, issuance,
/// filing, and its history from the event log.
pub struct Document(pub DocumentRow);

#[Object]
impl Document {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The number of events applied (the aggregate's sequence).
    async fn version(&self) -> i64 {
        self.0.version
    }
    async fn status(&self) -> DocumentStatus {
        self.0.state.status.into()
    }
    async fn filing_status(&self) -> FilingStatus {
        self.0.state.filing_status.into()
    }
    /// The day by which an issued document must be filed for record: publication plus the
    /// ledger's filing days (30 by law). Null before issue and for imported documents.
    async fn filing_due_on(&self, ctx: &Context<'_>) -> ApiResult<Option<NaiveDate>> {
        let settings = &ctx.data::<Session>()?.ledger.settings().warnings;
        Ok(self.0.state.filing_due_on(settings))
    }
    async fn body_code(&self) -> &str {
        self.draft()
            .map(|d| d.body_code.as_str())
            .unwrap_or_default()
    }
    async fn title(&self) -> &str {
        self.draft().map(|d| d.title.as_str()).unwrap_or_default()
    }
    async fn class(&self) -> Option<DocumentClass> {
        self.draft().map(|d| d.class.into())
    }
    async fn summary(&self) -> &str {
        self.draft().map(|d| d.summary.as_str()).unwrap_or_default()
    }
    /// 起草单位.
    async fn drafting_unit(&self) -> &str {
        self.draft()
            .map(|d| d.drafting_unit.as_str())
            .unwrap_or_default()
    }
    /// 暂行/试行 (flagged or named so in the title).
    async fn is_trial(&self) -> bool {
        self.0.state.is_trial()
    }
    /// 重大行政决策.
    async fn is_major_decision(&self) -> bool {
        self.draft().is_some_and(|d| d.is_major_decision)
    }
    async fn drafted_on(&self) -> Option<NaiveDate> {
        self.draft().map(|d| d.drafted_on)
    }
    async fn revision_count(&self) -> u32 {
        self.0.state.revision_count
    }
    async fn consultations(&self) -> Vec<Consultation> {
        self.0
            .state
            .consultations
            .iter()
            .cloned()
            .map(Consultation)
            .collect()
    }
    /// The text versions (正文), oldest first. The working texts (征求意见稿, 送审稿, 修改稿)
    /// only for the roles that see the document's history, and advisors while it is in
    /// review; for everyone else the text in force.
    async fn texts(&self, ctx: &Context<'_>) -> ApiResult<Vec<TextVersion>> {
        Ok(self
            .visible_texts(ctx)?
            .into_iter()
            .map(TextVersion::from)
            .collect())
    }
    /// One text version with its clauses; the latest the caller may see when `version` is
    /// left out.
    async fn text(
        &self,
        ctx: &Context<'_>,
        version: Option<u32>,
    ) -> ApiResult<Option<DocumentText>> {
        let visible = self.visible_texts(ctx)?;
        let Some(latest) = visible.last() else {
            return Ok(None);
        };
        let v = self.visible_version(&visible, "version", version.unwrap_or(latest.version))?;
        let ledger = &ctx.data::<Session>()?.ledger;
        let (version, text) = self.recorded_text(ctx, v).await?;
        Ok(Some(texts::document_text(
            version,
            text,
            ledger.screening(),
            &self.0.state.considered_warnings,
        )))
    }
    /// The clause-level diff of two text versions. By default, from the text the review
    /// concluded on (else the first) to the text issued (else the latest). With `previous`,
    /// from the version just before `to` (default: the latest), which is what the last
    /// revision changed; null when there is none before it.
    async fn diff(
        &self,
        ctx: &Context<'_>,
        from: Option<u32>,
        to: Option<u32>,
        #[graphql(default = false)] previous: bool,
    ) -> ApiResult<Option<TextDiff>> {
        let state = &self.0.state;
        let visible = self.visible_texts(ctx)?;
        let (Some(first), Some(latest)) = (visible.first(), visible.last()) else {
            return Ok(None);
        };
        let seen = |t: &d::TextVersion| visible.iter().any(|v| v.version == t.version);
        let (from, to) = if previous {
            let to = to.unwrap_or(latest.version);
            let before = visible.iter().rev().map(|t| t.version).find(|v| *v < to);
            match (from, before) {
                (Some(_), _) => {
                    return Err(gql(crate::graphql::ApiError::bad_input(
                        "from",
                        "give `from` or `previous`, not both",
                    )));
                }
                (None, Some(before)) => (before, to),
                (None, None) => return Ok(None),
            }
        } else {
            let from = from
                .or(state.reviewed_text().filter(|t| seen(t)).map(|t| t.version))
                .unwrap_or(first.version);
            let to = to
                .or(state.issued_text().filter(|t| seen(t)).map(|t| t.version))
                .unwrap_or(latest.version);
            (from, to)
        };
        let (a, b) = (
            self.visible_version(&visible, "from", from)?,
            self.visible_version(&visible, "to", to)?,
        );
        Ok(Some(texts::text_diff(
            self.recorded_text(ctx, a).await?,
            self.recorded_text(ctx, b).await?,
        )))
    }
    /// For each paragraph-level clause of a text version (the latest by default), the clauses
    /// of other documents in force today most like it (trigram similarity of at least
    /// `threshold`, default 0.5; at most `perClause`, default 3): warn-only.
    async fn neighbours(
        &self,
        ctx: &Context<'_>,
        version: Option<u32>,
        #[graphql(default = 0.5)] threshold: f64,
        #[graphql(default = 3)] per_clause: i32,
    ) -> ApiResult<Vec<Neighbour>> {
        if !(0.1..=1.0).contains(&threshold) {
            return Err(gql(crate::graphql::ApiError::bad_input(
                "threshold",
                "must be 0.1 to 1",
            )));
        }
        if !(1..=10).contains(&per_clause) {
            return Err(gql(crate::graphql::ApiError::bad_input(
                "perClause",
                "must be 1 to 10",
            )));
        }
        let visible = self.visible_texts(ctx)?;
        let Some(latest) = visible.last() else {
            return Ok(vec![]);
        };
        let v = self.visible_version(&visible, "version", version.unwrap_or(latest.version))?;
        let (_, text) = self.recorded_text(ctx, v).await?;
        let clauses: Vec<crate::domain::text::Clause> = crate::domain::text::clauses(&text)
            .into_iter()
            .filter(|c| {
                crate::domain::text::searchable(c)
                    && c.kind != crate::domain::text::ClauseKind::Chapter
            })
            .collect();
        let bodies: Vec<String> = clauses.iter().map(|c| c.text.clone()).collect();
        let rows = crate::projection::queries::neighbours(
            &self.pool(ctx).await?,
            self.0.id,
            &bodies,
            threshold as f32,
            per_clause.into(),
            crate::graphql::today(),
        )
        .await
        .map_err(gql)?;
        Ok(rows
            .into_iter()
            .map(|r| Neighbour {
                clause: clauses[(r.ordinal - 1) as usize].id.clone(),
                other_document_id: r.document_id.to_string(),
                other_title: r.title,
                other_number: r.document_number,
                other_clause: r.clause_id,
                other_clause_number: r.number,
                other_text: r.text,
                score: f64::from(r.score),
            })
            .collect())
    }
    /// The text version the latest review conclusion was reached on.
    async fn reviewed_text(&self) -> Option<TextVersion> {
        self.0.state.reviewed_text().map(TextVersion::from)
    }
    /// The text issued (印发稿), or after a correction the corrected text.
    async fn issued_text(&self) -> Option<TextVersion> {
        self.0.state.issued_text().map(TextVersion::from)
    }
    /// Whether the text issued is the text reviewed (or one whose changes the legal office
    /// confirmed): null until the document is issued with a text.
    async fn texts_match(&self) -> Option<bool> {
        let state = &self.0.state;
        let issued = state.issuance.as_ref()?.text_version?;
        let issued = state.text_version(issued)?;
        let reviewed = state.reviewed_text();
        Some(
            reviewed.is_some_and(|r| r.hash == issued.hash)
                || state.text_confirmations.iter().any(|c| {
                    Some(c.from_version) == reviewed.map(|r| r.version)
                        && state
                            .text_version(c.to_version)
                            .is_some_and(|t| t.hash == issued.hash)
                }),
        )
    }
    /// What the current submission package lacks (送审材料不全): a drafting explanation and
    /// the legal bases always, the consultation record after a consultation; each counts when
    /// attached as a file of its kind or named in the submitted materials. Empty before
    /// submission. Never refuses anything: the legal office may return the materials.
    async fn missing_materials(&self) -> Vec<super::mutations::MaterialKind> {
        self.0
            .state
            .missing_materials()
            .into_iter()
            .map(Into::into)
            .collect()
    }
    /// The submission package's files (送审材料), oldest first; their bytes are in the log,
    /// downloadable at `GET /documents/{id}/attachments/{sha256}` by whoever sees the
    /// document's working texts.
    async fn attachments(&self) -> Vec<AttachmentInfo> {
        self.0
            .state
            .attachments
            .iter()
            .map(|a| AttachmentInfo {
                name: a.name.clone(),
                kind: a.kind.into(),
                content_type: a.content_type.clone(),
                size: a.size,
                sha256: a.sha256.clone(),
                added_on: a.added_on,
                stage: a.stage.into(),
            })
            .collect()
    }
    /// The legal office's confirmations of revised texts (confirmRevisedText).
    async fn text_confirmations(&self) -> Vec<TextConfirmation> {
        self.0
            .state
            .text_confirmations
            .iter()
            .map(|c| TextConfirmation {
                from_version: c.from_version,
                to_version: c.to_version,
                accepted_clauses: c.accepted.clone(),
                confirmed_on: c.confirmed_on,
            })
            .collect()
    }
    /// The current (latest) legality review.
    async fn review(&self) -> Option<Review> {
        self.0.state.review().cloned().map(Review)
    }
    /// Every legality review, oldest first (a document returned as unlawful is reviewed again).
    async fn reviews(&self) -> Vec<Review> {
        self.0.state.reviews.iter().cloned().map(Review).collect()
    }
    async fn deliberations(&self) -> Vec<Deliberation> {
        self.0
            .state
            .deliberations
            .iter()
            .cloned()
            .map(Deliberation::from)
            .collect()
    }
    async fn issuance(&self) -> Option<Issuance> {
        self.0.state.issuance.clone().map(Issuance::from)
    }
    /// Every filing, one per authority and filing date, oldest first.
    async fn filings(&self) -> Vec<Filing> {
        let current = self.0.state.current_filings();
        self.0
            .state
            .filings
            .iter()
            .map(|f| Filing::new(f, current.iter().any(|c| std::ptr::eq(*c, f))))
            .collect()
    }
    /// The filing package (备案材料) for `authority` (default: the first the document is filed
    /// with), as the JSON file `normledger filing package` writes: the items with their
    /// hashes, the document's events and a signed checkpoint covering them. Null until a
    /// checkpoint covers the document's last event (the server takes one every
    /// `--checkpoint-every-secs`). For whoever reads the document's history, and for the
    /// filing authority it is addressed to (null for another authority).
    async fn filing_package(
        &self,
        ctx: &Context<'_>,
        authority: Option<String>,
    ) -> ApiResult<Option<String>> {
        use crate::store::filing_package::{self, PackageError};
        let reader = super::reader(ctx, "Document.filingPackage")?;
        let body = self
            .0
            .state
            .draft
            .as_ref()
            .map_or("", |d| d.body_code.as_str());
        let authority = authority.or_else(|| {
            self.0
                .state
                .current_filings()
                .first()
                .map(|f| f.authority.clone())
        });
        let allowed = match reader.actor.role {
            // Another authority's package does not exist for this one.
            crate::domain::Role::FilingAuthority => {
                if !authority
                    .as_deref()
                    .is_some_and(|a| reader.actor.covers_body(a))
                {
                    return Ok(None);
                }
                true
            }
            _ => crate::authz::may_see_document_history(reader.scope, &reader.actor.bodies, body),
        };
        if !allowed {
            return Err(gql(crate::graphql::ApiError::Forbidden(
                "a filing package is for those who read the document's history and for the authority it is addressed to".into(),
            )));
        }
        let pool = &ctx.data::<Session>()?.pool().await;
        match filing_package::build(pool, self.0.id, authority.as_deref()).await {
            Ok(p) => Ok(Some(
                serde_json::to_string(&p).map_err(|_| gql(crate::graphql::ApiError::Internal))?,
            )),
            Err(PackageError::NoCheckpoint) => Ok(None),
            Err(PackageError::NotIssued) => Ok(None),
            Err(PackageError::NotFiledWith(a)) => Err(gql(crate::graphql::ApiError::bad_input(
                "authority",
                format!("the document is not filed with {a}"),
            ))),
            Err(e) => {
                tracing::error!(error = %e, "filing package failed");
                Err(gql(crate::graphql::ApiError::Internal))
            }
        }
    }
    /// The public's review suggestions (审查建议) and their answers, oldest first.
    async fn review_suggestions(&self) -> Vec<ReviewSuggestion> {
        self.0
            .state
            .review_suggestions
            .iter()
            .map(|s| ReviewSuggestion {
                number: s.number,
                text: s.text.clone(),
                received_on: s.received_on,
                reply_due_on: s.reply_due_on,
                answer: s.answer.clone(),
                answered_on: s.answered_on,
            })
            .collect()
    }
    /// Mis-keyed facts corrected (更正), oldest first.
    async fn fact_corrections(&self) -> Vec<FactCorrection> {
        self.0
            .state
            .fact_corrections
            .iter()
            .cloned()
            .map(FactCorrection::from)
            .collect()
    }
    async fn corrections(&self) -> Vec<Correction> {
        self.0
            .state
            .corrections
            .iter()
            .cloned()
            .map(|c| Correction {
                corrected_on: c.corrected_on,
                description: c.description,
            })
            .collect()
    }
    /// Closely tied to business activity: consultation of at least 30 days.
    async fn market_related(&self) -> bool {
        self.draft().is_some_and(|d| d.market_related)
    }
    /// Republications (重新公布), each restarting the validity period, oldest first.
    async fn republications(&self) -> Vec<Republication> {
        self.0
            .state
            .republications
            .iter()
            .map(|r| Republication {
                republished_on: r.republished_on,
                registration_number: r.registration_number.clone(),
                valid_until: r.valid_until,
                validity_override_reason: r.validity_override_reason.clone(),
            })
            .collect()
    }
    /// Decisions of published cleanup campaigns on this document, oldest first.
    async fn cleanup_decisions(&self) -> Vec<CleanupDecisionRecord> {
        self.0
            .state
            .cleanups
            .iter()
            .map(|c| CleanupDecisionRecord {
                campaign_id: ID(c.campaign_id.clone()),
                decision: c.decision.into(),
                result_number: c.result_number.clone(),
                decided_on: c.decided_on,
                revision_deadline: c.revision_deadline,
            })
            .collect()
    }
    /// The 文号 of the document that replaced this one, once superseded.
    async fn superseded_by(&self) -> Option<&str> {
        self.0.state.superseded_by.as_deref()
    }
    /// For documents imported from a catalogue: where the record comes from.
    async fn imported_from(&self) -> Option<&str> {
        self.0.state.imported.as_deref()
    }
    /// How the document's life ended (repeal, withdrawal), if it has.
    async fn ending(&self) -> Option<Ending> {
        self.0.state.ending.clone().map(|e| Ending {
            on: e.on,
            reason: e.reason,
            decision_document: e.decision_document,
        })
    }
    /// Warn-only rules this document breaks (overdue review or filing, short consultation,
    /// early commencement), as of `today` (default today, Asia/Shanghai). Never blocking.
    /// Those who may read the document's history also see RECORDED_LATE: a step dated more
    /// than the configured number of days (`--backdating-days`, 30) before it was recorded.
    async fn warnings(
        &self,
        ctx: &Context<'_>,
        today: Option<NaiveDate>,
    ) -> ApiResult<Vec<DocumentWarning>> {
        let ledger = &ctx.data::<Session>()?.ledger;
        let today = today.unwrap_or_else(crate::graphql::today);
        let settings = &ledger.settings().warnings;
        let mut warnings = self.0.state.warnings(today, ledger.calendar(), settings);
        // When a step was recorded is part of the history, which is never public.
        let body = self
            .0
            .state
            .draft
            .as_ref()
            .map_or("", |d| d.body_code.as_str());
        if let Ok(reader) = super::reader(ctx, "Document.history")
            && crate::authz::may_see_document_history(reader.scope, &reader.actor.bodies, body)
        {
            let records = self.events(ctx, reader.session).await?;
            let mut steps = Vec::with_capacity(records.len());
            for r in records {
                let event = d::DocumentEvent::decode(&r.event_type, &r.event_version, r.payload)
                    .map_err(|e| gql(crate::store::StoreError::from(e)))?;
                // The ledger's legal dates are Asia/Shanghai dates.
                let recorded_on = (r.recorded_at + chrono::Duration::hours(8)).date_naive();
                steps.push((r.position, event, recorded_on));
            }
            let steps: Vec<_> = steps.iter().map(|(p, e, d)| (*p, e, *d)).collect();
            warnings.extend(d::recorded_late(&steps, settings));
        }
        Ok(warnings
            .into_iter()
            .map(|w| DocumentWarning {
                code: w.code.to_owned(),
                message: w.message,
            })
            .collect())
    }
    /// Every event of this document, read from the event log (not a copy), oldest first.
    /// Not public, even once the document is: null with a FORBIDDEN error for advisors, admins
    /// and other bodies' drafters.
    async fn history(&self, ctx: &Context<'_>) -> ApiResult<Option<Vec<AuditEvent>>> {
        Ok(Some(
            self.visible_events(ctx, "Document.history")
                .await?
                .into_iter()
                .map(AuditEvent)
                .collect(),
        ))
    }
    /// Where this document has been: each status it entered, with the sequence of the event
    /// that moved it there, folded from its events in the log by the aggregate's own `apply`.
    /// With the lifecycle table, what the console's timeline draws. Read like `history`.
    async fn status_path(&self, ctx: &Context<'_>) -> ApiResult<Option<Vec<StatusStep>>> {
        let decoded = self
            .visible_events(ctx, "Document.statusPath")
            .await?
            .into_iter()
            .map(|e| {
                d::DocumentEvent::decode(&e.event_type, &e.event_version, e.payload)
                    .map_err(|err| gql(crate::store::StoreError::from(err)))
            })
            .collect::<ApiResult<Vec<_>>>()?;
        Ok(Some(
            d::lifecycle::path(decoded)
                .into_iter()
                .map(|(sequence, status)| StatusStep {
                    sequence: sequence as i64,
                    status: status.into(),
                })
                .collect(),
        ))
    }
}

/// A status a document entered, and the event (by its sequence) that moved it there.
#[derive(SimpleObject)]
pub struct StatusStep {
    pub sequence: i64,
    pub status: DocumentStatus,
}

impl Document {
    /// This document's events, for the roles that may see its history (the legal office, the
    /// government office, auditors and its own body's drafters): FORBIDDEN for anyone else.
    async fn visible_events(
        &self,
        ctx: &Context<'_>,
        field: &'static str,
    ) -> ApiResult<Vec<event_log::EventRecord>> {
        let reader = super::reader(ctx, field)?;
        let body = self
            .0
            .state
            .draft
            .as_ref()
            .map_or("", |d| d.body_code.as_str());
        if !crate::authz::may_see_document_history(reader.scope, &reader.actor.bodies, body) {
            return Err(gql(crate::graphql::ApiError::Forbidden(
                "a document's history is for the legal office, the government office, auditors and its own body's drafters".into(),
            )));
        }
        self.events(ctx, reader.session).await
    }

    /// This document's events from the log, up to the version this row shows. In a list, the
    /// DataLoader batches every document's events into one statement; a document on its own
    /// reads directly (the loader's batching window wakes a timer thread on every request:
    /// single reads ran about 20 % faster without it), once per request and version.
    async fn events(
        &self,
        ctx: &Context<'_>,
        session: &Session,
    ) -> ApiResult<Vec<event_log::EventRecord>> {
        let in_list = ctx.path_node.is_some_and(|node| {
            node.parents()
                .any(|p| matches!(p.segment, async_graphql::QueryPathSegment::Index(_)))
        });
        let events = if in_list {
            session
                .history
                .load_one(self.0.id.to_string())
                .await
                .map_err(|e| e.extend())?
                .unwrap_or_default()
        } else {
            let key = (self.0.id, self.0.version);
            let mut memo = session.document_events.lock().await;
            let events = match memo.get(&key).cloned() {
                Some(events) => events,
                None => {
                    let events = Arc::new(
                        event_log::aggregate_events(
                            &session.pool().await,
                            <crate::domain::NormativeDocument as cqrs_es::Aggregate>::TYPE,
                            &self.0.id.to_string(),
                            None,
                        )
                        .await
                        .map_err(gql)?,
                    );
                    memo.insert(key, events.clone());
                    events
                }
            };
            drop(memo);
            Arc::unwrap_or_clone(events)
        };
        Ok(events
            .into_iter()
            .filter(|e| e.sequence <= self.0.version)
            .collect())
    }

    fn draft(&self) -> Option<&d::Draft> {
        self.0.state.draft.as_ref()
    }

    /// One text version with its words, taken from the document's events: the same read as
    /// its history and warnings (once per request), not one more statement per text.
    async fn recorded_text(
        &self,
        ctx: &Context<'_>,
        version: &d::TextVersion,
    ) -> ApiResult<(TextVersion, String)> {
        let session = ctx.data::<Session>()?;
        for e in self.events(ctx, session).await? {
            if e.event_type != "TextRecorded" {
                continue;
            }
            let event = d::DocumentEvent::decode(&e.event_type, &e.event_version, e.payload)
                .map_err(|err| gql(crate::store::StoreError::from(err)))?;
            if let d::DocumentEvent::TextRecorded(t) = event
                && t.version == version.version
            {
                return Ok((TextVersion::from(version), t.text));
            }
        }
        // The state lists a version its events lack: the log and the row disagree.
        tracing::error!(document = %self.0.id, version = version.version, "a listed text version has no event");
        Err(gql(crate::graphql::ApiError::Internal))
    }

    async fn pool(&self, ctx: &Context<'_>) -> ApiResult<sqlx::PgPool> {
        Ok(ctx.data::<Session>()?.pool().await)
    }

    /// The text versions this caller may see (see `texts`).
    fn visible_texts(&self, ctx: &Context<'_>) -> ApiResult<Vec<&d::TextVersion>> {
        let reader = super::reader(ctx, "Document.texts")?;
        let state = &self.0.state;
        let body = state.draft.as_ref().map_or("", |d| d.body_code.as_str());
        let working = crate::authz::may_see_working_texts(
            reader.scope,
            &reader.actor.bodies,
            body,
            state.status.as_str(),
        );
        let issued = state.issuance.as_ref().and_then(|i| i.text_version);
        Ok(state
            .texts
            .iter()
            .filter(|t| {
                working
                    || Some(t.version) == issued
                    || t.stage == crate::domain::text::TextStage::Corrected
            })
            .collect())
    }

    /// A version the caller asked for: FORBIDDEN when it is a working text they may not see.
    fn visible_version<'a>(
        &'a self,
        visible: &[&'a d::TextVersion],
        field: &'static str,
        version: u32,
    ) -> ApiResult<&'a d::TextVersion> {
        let v = texts::version_of(&self.0.state, field, version)?;
        if !visible.iter().any(|t| t.version == v.version) {
            return Err(gql(crate::graphql::ApiError::Forbidden(format!(
                "text version {version} is a working text ({}), not the text in force",
                v.stage.label()
            ))));
        }
        Ok(v)
    }
}

/// Public consultation (公开征求意见).
pub struct Consultation(d::Consultation);

#[Object]
impl Consultation {
    async fn opened_on(&self) -> NaiveDate {
        self.0.opened_on
    }
    async fn closes_on(&self) -> NaiveDate {
        self.0.closes_on
    }
    async fn channel(&self) -> &str {
        &self.0.channel
    }
    async fn closed_on(&self) -> Option<NaiveDate> {
        self.0.closed_on
    }
    async fn comments_received(&self) -> Option<u32> {
        self.0.comments_received
    }
    async fn adoption_summary(&self) -> Option<&str> {
        self.0.adoption_summary.as_deref()
    }
}

/// Legality review (合法性审核).
pub struct Review(d::Review);

#[Object]
impl Review {
    async fn submitted_on(&self) -> NaiveDate {
        self.0.submitted_on
    }
    /// 送审材料.
    async fn materials(&self) -> &[String] {
        &self.0.materials
    }
    async fn returns(&self) -> Vec<MaterialsReturn> {
        self.0
            .returns
            .iter()
            .map(|r| MaterialsReturn {
                returned_on: r.returned_on,
                reason: r.reason.clone(),
            })
            .collect()
    }
    async fn started_on(&self) -> Option<NaiveDate> {
        self.0.started_on
    }
    async fn due_on(&self) -> Option<NaiveDate> {
        self.0.due_on
    }
    /// Legal advisors' opinions (法律意见): advisory only.
    async fn advisor_opinions(&self) -> Vec<AdvisorOpinion> {
        self.0
            .opinions
            .iter()
            .map(|o| AdvisorOpinion {
                advisor_id: o.advisor_id.clone(),
                advisor_name: o.advisor_name.clone(),
                text: o.text.clone(),
                conclusion: o.conclusion.clone(),
                given_on: o.given_on,
                anchor: o.anchor.as_ref().map(Anchor::from),
            })
            .collect()
    }
    /// The latest conclusion's outcome.
    async fn outcome(&self) -> Option<ReviewOutcome> {
        self.0.conclusions.last().map(|c| c.outcome.into())
    }
    /// The latest conclusion's itemised issues.
    async fn issues(&self) -> Vec<ReviewIssue> {
        self.0
            .conclusions
            .last()
            .map(conclusion_issues)
            .unwrap_or_default()
    }
    /// Every conclusion of this review, oldest first.
    async fn conclusions(&self) -> Vec<ReviewConclusion> {
        self.0
            .conclusions
            .iter()
            .map(|c| ReviewConclusion {
                outcome: c.outcome.into(),
                opinion: c.opinion.clone(),
                concluded_on: c.concluded_on,
                issues: conclusion_issues(c),
                text_version: c.text_version,
            })
            .collect()
    }
}

fn conclusion_issues(c: &d::ReviewConclusion) -> Vec<ReviewIssue> {
    c.issues
        .iter()
        .map(|i| {
            let response = c
                .responses
                .iter()
                .flatten()
                .find(|r| r.issue_number == i.number);
            ReviewIssue {
                number: i.number,
                clause: i.clause.clone(),
                text: i.text.clone(),
                adopted: response.map(|r| r.adopted),
                response_reason: response.and_then(|r| r.reason.clone()),
                anchor: i.anchor.as_ref().map(Anchor::from),
                response_clause: response.and_then(|r| r.clause.clone()),
            }
        })
        .collect()
}

#[derive(SimpleObject)]
pub struct MaterialsReturn {
    returned_on: NaiveDate,
    reason: String,
}

#[derive(SimpleObject)]
pub struct AdvisorOpinion {
    advisor_id: String,
    advisor_name: String,
    text: String,
    conclusion: Option<String>,
    given_on: NaiveDate,
    /// The clause (and words) of a text version the opinion is about.
    anchor: Option<Anchor>,
}

#[derive(SimpleObject)]
pub struct ReviewConclusion {
    outcome: ReviewOutcome,
    opinion: String,
    concluded_on: NaiveDate,
    issues: Vec<ReviewIssue>,
    /// The text version concluded on.
    text_version: Option<u32>,
}

/// One itemised issue, with the drafter's answer once a revision was submitted.
#[derive(SimpleObject)]
pub struct ReviewIssue {
    number: u32,
    clause: Option<String>,
    text: String,
    adopted: Option<bool>,
    response_reason: Option<String>,
    /// The clause (and words) of the text version reviewed that the issue is about.
    anchor: Option<Anchor>,
    /// The clause of the revised text that answers the issue.
    response_clause: Option<String>,
}

/// Collective deliberation (集体审议).
#[derive(SimpleObject)]
pub struct Deliberation {
    outcome: DeliberationOutcome,
    /// Absent on deliberations recorded before the meeting type was asked.
    meeting_type: Option<MeetingType>,
    meeting: String,
    held_on: NaiveDate,
    minutes_reference: Option<String>,
    dissent: Option<String>,
    /// The text version deliberated.
    text_version: Option<u32>,
}

impl From<d::Deliberation> for Deliberation {
    fn from(x: d::Deliberation) -> Self {
        Deliberation {
            outcome: x.outcome.into(),
            meeting_type: x.meeting_type.map(Into::into),
            meeting: x.meeting,
            held_on: x.held_on,
            minutes_reference: x.minutes_reference,
            dissent: x.dissent,
            text_version: x.text_version,
        }
    }
}

/// A file of the submission package.
#[derive(SimpleObject)]
pub struct AttachmentInfo {
    name: String,
    kind: super::mutations::MaterialKind,
    content_type: String,
    size: u64,
    /// SHA-256 of the bytes, in hex.
    sha256: String,
    added_on: NaiveDate,
    /// The document's status when the file was added.
    stage: DocumentStatus,
}

/// Issuance: 文号, registration number (统一登记号), dates.
#[derive(SimpleObject)]
pub struct Issuance {
    /// 发文字号, e.g. 南政办发〔2019〕63号.
    number: String,
    agency_code: String,
    year: u16,
    serial: u32,
    registration_number: Option<String>,
    signer: String,
    issued_on: NaiveDate,
    published_on: NaiveDate,
    effective_on: NaiveDate,
    /// The last day in force.
    valid_until: NaiveDate,
    validity_override_reason: Option<String>,
    /// The text version issued (印发稿).
    text_version: Option<u32>,
}

impl From<d::Issuance> for Issuance {
    fn from(i: d::Issuance) -> Self {
        Issuance {
            number: i.number.to_string(),
            agency_code: i.number.agency_code,
            year: i.number.year,
            serial: i.number.serial,
            registration_number: i.registration_number,
            signer: i.signer,
            issued_on: i.issued_on,
            published_on: i.published_on,
            effective_on: i.effective_on,
            valid_until: i.valid_until,
            validity_override_reason: i.validity_override_reason,
            text_version: i.text_version,
        }
    }
}

/// Filing for record (备案) with one filing authority. A document filed with two
/// authorities has two; filing again after a correction adds one.
#[derive(SimpleObject)]
pub struct Filing {
    /// The filing authority (备案机关); empty for a document imported with a filing date.
    authority: String,
    /// The authority, as a list (before filings had one authority each).
    #[graphql(deprecation = "one authority per filing: use `authority`")]
    authorities: Vec<String>,
    filed_on: NaiveDate,
    /// The authority reviews within 30 days of filing, extended once by up to 20.
    review_due_on: NaiveDate,
    extended_by_days: Option<u32>,
    outcome: Option<FilingReviewOutcome>,
    reviewed_on: Option<NaiveDate>,
    notes: Option<String>,
    /// CORRECTION_REQUIRED: the day by which the body answers (corrects and files again).
    correction_due_on: Option<NaiveDate>,
    /// Whether this is the authority's latest filing (earlier ones were answered by filing
    /// again).
    current: bool,
}

impl Filing {
    fn new(f: &d::FilingRecord, current: bool) -> Self {
        Filing {
            authority: f.authority.clone(),
            authorities: vec![f.authority.clone()]
                .into_iter()
                .filter(|a| !a.is_empty())
                .collect(),
            filed_on: f.filed_on,
            review_due_on: f.review_due_on(),
            extended_by_days: f.extended_by_days,
            outcome: f.outcome.map(Into::into),
            reviewed_on: f.reviewed_on,
            notes: f.notes.clone(),
            correction_due_on: f.correction_due_on,
            current,
        }
    }
}

/// A fact an event records that may be corrected (更正) by the role that recorded it.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::document::FactField")]
pub enum FactField {
    /// `FiledForRecord`: the filing date.
    FiledOn,
    /// `SubmittedForReview`: the submission date.
    SubmittedOn,
    /// `Deliberated`: the meeting, e.g. 县政府第12次常务会议.
    Meeting,
    /// `Deliberated`: the meeting's date.
    HeldOn,
    /// `Deliberated`: the minutes' reference.
    MinutesReference,
    /// `Issued`: the signer.
    Signer,
}

/// A mis-keyed fact corrected (更正): the corrected event is untouched, the document reads the
/// new value.
#[derive(SimpleObject)]
pub struct FactCorrection {
    /// The corrected event: its position in the log, its sequence in the document, its type.
    position: i64,
    sequence: u64,
    event_type: String,
    field: FactField,
    old_value: String,
    new_value: String,
    reason: String,
    corrected_on: NaiveDate,
}

impl From<d::FactCorrection> for FactCorrection {
    fn from(c: d::FactCorrection) -> Self {
        FactCorrection {
            position: c.position,
            sequence: c.sequence,
            event_type: c.event_type,
            field: c.field.into(),
            old_value: c.old_value,
            new_value: c.new_value,
            reason: c.reason,
            corrected_on: c.corrected_on,
        }
    }
}

/// A review suggestion (审查建议) from the public, and the legal office's answer.
#[derive(SimpleObject)]
pub struct ReviewSuggestion {
    number: u32,
    text: String,
    received_on: NaiveDate,
    /// 30 days after receipt.
    reply_due_on: NaiveDate,
    answer: Option<String>,
    answered_on: Option<NaiveDate>,
}

/// 勘误: a correction of errors, never an amendment.
#[derive(SimpleObject)]
pub struct Correction {
    corrected_on: NaiveDate,
    description: String,
}

#[derive(SimpleObject)]
pub struct Republication {
    republished_on: NaiveDate,
    registration_number: Option<String>,
    /// The new last day in force.
    valid_until: NaiveDate,
    validity_override_reason: Option<String>,
}

/// A cleanup decision (清理结果) on a document.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::document::CleanupDecision")]
pub enum CleanupDecision {
    /// 继续有效.
    Continue,
    /// 修改.
    Amend,
    /// 废止.
    Repeal,
    /// 宣布失效.
    DeclareInvalid,
}

#[derive(SimpleObject)]
pub struct CleanupDecisionRecord {
    campaign_id: ID,
    decision: CleanupDecision,
    /// 文号 of the document that published the result.
    result_number: String,
    decided_on: NaiveDate,
    /// For AMEND: when the revision is due.
    revision_deadline: Option<NaiveDate>,
}

#[derive(SimpleObject)]
pub struct Ending {
    on: NaiveDate,
    reason: String,
    decision_document: Option<String>,
}

/// A recorded-and-warned rule the document breaks.
#[derive(SimpleObject)]
pub struct DocumentWarning {
    /// REVIEW_OVERDUE, CONSULTATION_TOO_SHORT, FILING_OVERDUE, FILED_LATE,
    /// FILING_REVIEW_OVERDUE, FILING_REVIEWED_LATE, FILING_CORRECTION_OVERDUE,
    /// COMMENCEMENT_TOO_SOON, TEXT_UNMATCHED, RECORDED_LATE.
    code: String,
    message: String,
}
