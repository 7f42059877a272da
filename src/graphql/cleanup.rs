//! Cleanup campaigns (清理) in GraphQL: the campaign and its inventory, the mutations that
//! launch, propose, review, publish, report and close, and the queries that list campaigns
//! and documents overdue for revision.

use async_graphql::connection::Connection;
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::commands::Command;
use crate::domain::DocumentNumber;
use crate::domain::cleanup_campaign as c;
use crate::graphql::certification::BasisLevel;
use crate::graphql::documents::types::MeetingType;
use crate::graphql::documents::{Document, DocumentClass};
use crate::graphql::error::{ApiError, ApiResult, gql};
use crate::graphql::execute::{Answer, day, execute_and_answer, ledger_id, parse_id, parse_id_arg};
use crate::graphql::{Session, page, page_size, reader};
use crate::process;
use crate::projection::queries;
use crate::store::event_log;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::cleanup_campaign::CampaignKind")]
pub enum CampaignKind {
    /// 定期清理.
    Periodic,
    /// 专项清理.
    Special,
    /// 全面清理.
    Full,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::cleanup_campaign::CampaignStatus")]
pub enum CampaignStatus {
    /// Proposals and reviews under way.
    Open,
    /// Result published; being applied to documents and items.
    Published,
    /// Every decision reached its document or item.
    Applied,
    Closed,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::cleanup_campaign::EntryKind")]
pub enum EntryKind {
    Document,
    CertificationItem,
}

/// A decision on an inventory entry: the first four for documents, the last two for items.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::cleanup_campaign::Decision")]
pub enum CampaignDecision {
    /// 继续有效.
    Continue,
    /// 修改 (with a revision deadline).
    Amend,
    /// 废止.
    Repeal,
    /// 宣布失效.
    DeclareInvalid,
    /// 保留 (certification items).
    Retain,
    /// 取消 (certification items, with a replacement method).
    Cancel,
}

/// The government's approval of a cleanup result.
#[derive(SimpleObject)]
pub struct ResultApproval {
    approved_on: NaiveDate,
    meeting_type: MeetingType,
    meeting: String,
}

#[derive(InputObject)]
pub struct ApproveCleanupResultInput {
    /// The government's own meeting: EXECUTIVE_MEETING or PLENARY_MEETING.
    pub meeting_type: MeetingType,
    /// The meeting itself, e.g. 县政府第15次常务会议.
    pub meeting: String,
    pub approved_on: Option<NaiveDate>,
}

/// A cleanup campaign (清理).
pub struct CleanupCampaign {
    pub id: Uuid,
    pub state: c::CleanupCampaign,
    pub version: i64,
}

#[Object]
impl CleanupCampaign {
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }
    async fn version(&self) -> i64 {
        self.version
    }
    async fn status(&self) -> CampaignStatus {
        self.state.status.into()
    }
    /// 文号 of the launching notice.
    async fn notice_number(&self) -> Option<&str> {
        self.launch().map(|l| l.notice_number.as_str())
    }
    async fn title(&self) -> Option<&str> {
        self.launch().map(|l| l.title.as_str())
    }
    async fn kind(&self) -> Option<CampaignKind> {
        self.launch().map(|l| l.kind.into())
    }
    async fn organiser(&self) -> Option<&str> {
        self.launch().map(|l| l.organiser.as_str())
    }
    async fn launched_on(&self) -> Option<NaiveDate> {
        self.launch().map(|l| l.launched_on)
    }
    /// When proposals are due.
    async fn deadline(&self) -> Option<NaiveDate> {
        self.launch().map(|l| l.deadline)
    }
    async fn scope(&self) -> Option<CleanupScope> {
        self.launch().map(|l| CleanupScope {
            body_codes: l.scope.body_codes.clone(),
            cut_off: l.scope.cut_off,
            classes: l.scope.classes.iter().map(|&c| c.into()).collect(),
            documents: l.scope.documents,
            certification_items: l.scope.certification_items,
            citing_law: l.scope.citing.as_ref().map(|c| c.law.clone()),
            citing_article: l.scope.citing.as_ref().and_then(|c| c.article),
        })
    }
    /// The inventory (清理目录) compiled at launch, with each entry's decision so far.
    async fn entries(&self) -> Vec<InventoryEntry> {
        self.state
            .entries
            .iter()
            .cloned()
            .map(InventoryEntry)
            .collect()
    }
    /// Entries without a final decision; publishing needs zero.
    async fn undecided(&self) -> usize {
        self.state.undecided()
    }
    /// Entries whose document or item refused the published decision (see each entry's
    /// `applicationFailure`).
    async fn failed(&self) -> usize {
        self.state.failed()
    }
    /// 文号 of the document that published the result.
    async fn result_number(&self) -> Option<String> {
        self.state
            .publication
            .as_ref()
            .map(|p| p.result_number.to_string())
    }
    async fn published_on(&self) -> Option<NaiveDate> {
        self.state.publication.as_ref().map(|p| p.published_on)
    }
    /// The government's approval of the result (政府审议同意), needed before a result that
    /// repeals, amends or declares invalid the government's own documents is published.
    async fn approval(&self) -> Option<ResultApproval> {
        self.state.approval.as_ref().map(|a| ResultApproval {
            approved_on: a.approved_on,
            meeting_type: a.meeting_type.into(),
            meeting: a.meeting.clone(),
        })
    }
    /// When every decision had reached its document or item.
    async fn applied_on(&self) -> Option<NaiveDate> {
        self.state.applied_on
    }
    async fn reports(&self) -> Vec<SuperiorReport> {
        self.state
            .reports
            .iter()
            .map(|r| SuperiorReport {
                reported_on: r.reported_on,
                to: r.to.clone(),
                reference: r.reference.clone(),
            })
            .collect()
    }
    async fn closed_on(&self) -> Option<NaiveDate> {
        self.state.closed_on
    }
}

impl CleanupCampaign {
    fn launch(&self) -> Option<&c::Launch> {
        self.state.launch.as_ref()
    }
}

#[derive(SimpleObject)]
pub struct CleanupScope {
    /// Empty: every issuing body.
    body_codes: Vec<String>,
    cut_off: NaiveDate,
    /// Empty: every class.
    classes: Vec<DocumentClass>,
    documents: bool,
    certification_items: bool,
    /// 专项清理: only documents citing this law.
    citing_law: Option<String>,
    citing_article: Option<u32>,
}

#[derive(SimpleObject)]
pub struct SuperiorReport {
    reported_on: NaiveDate,
    to: String,
    reference: Option<String>,
}

pub struct InventoryEntry(c::EntryState);

#[Object]
impl InventoryEntry {
    async fn kind(&self) -> EntryKind {
        self.0.entry.kind.into()
    }
    /// The document's or item's id.
    async fn id(&self) -> ID {
        ID(self.0.entry.id.clone())
    }
    async fn label(&self) -> &str {
        &self.0.entry.label
    }
    async fn body_code(&self) -> Option<&str> {
        self.0.entry.body_code.as_deref()
    }
    async fn basis_level(&self) -> Option<BasisLevel> {
        self.0.entry.basis_level.map(Into::into)
    }
    /// The proposal under review, or the accepted one.
    async fn proposal(&self) -> Option<Proposal> {
        self.0.proposal.clone().map(Proposal)
    }
    /// The legal office's review of the proposal, once given.
    async fn review(&self) -> Option<DecisionReview> {
        self.0.review.as_ref().map(|r| DecisionReview {
            accepted: r.accepted,
            comments: r.comments.clone(),
            reviewed_on: r.reviewed_on,
        })
    }
    /// The final decision: the accepted proposal's.
    async fn final_decision(&self) -> Option<CampaignDecision> {
        self.0.final_proposal().map(|p| p.decision.into())
    }
    /// Why the published decision could not be applied to the document or item (it was
    /// ended, cancelled or changed outside the campaign meanwhile); null when it was applied
    /// or is still to be.
    async fn application_failure(&self) -> Option<EntryFailure> {
        self.0.failure.as_ref().map(|f| EntryFailure {
            rule: f.rule.clone(),
            reason: f.reason.clone(),
            failed_on: f.failed_on,
        })
    }
}

/// A published decision its document or item refused.
#[derive(SimpleObject)]
pub struct EntryFailure {
    /// The rule that refused it, as in `extensions.rule`.
    rule: String,
    reason: String,
    failed_on: NaiveDate,
}

pub struct Proposal(c::Proposal);

#[Object]
impl Proposal {
    async fn decision(&self) -> CampaignDecision {
        self.0.decision.into()
    }
    async fn grounds(&self) -> &str {
        &self.0.grounds
    }
    async fn proposed_on(&self) -> NaiveDate {
        self.0.proposed_on
    }
    async fn revision_deadline(&self) -> Option<NaiveDate> {
        self.0.revision_deadline
    }
    async fn replacement_method(&self) -> Option<&str> {
        self.0.replacement_method.as_deref()
    }
    async fn commitment_allowed(&self) -> Option<bool> {
        self.0.commitment_allowed
    }
    async fn commitment_reason(&self) -> Option<&str> {
        self.0.commitment_reason.as_deref()
    }
}

#[derive(SimpleObject)]
pub struct DecisionReview {
    accepted: bool,
    comments: Option<String>,
    reviewed_on: NaiveDate,
}

/// The campaign after a command.
#[derive(SimpleObject)]
pub struct CleanupCampaignPayload {
    campaign: CleanupCampaign,
    position: i64,
    projected: bool,
}

#[derive(InputObject)]
pub struct CleanupScopeInput {
    /// Issuing bodies examined; empty or absent: every body.
    #[graphql(default)]
    pub body_codes: Vec<String>,
    /// Documents issued on or before this date and still in force are in scope.
    pub cut_off: NaiveDate,
    #[graphql(default)]
    pub classes: Vec<DocumentClass>,
    #[graphql(default = true)]
    pub documents: bool,
    #[graphql(default)]
    pub certification_items: bool,
    /// 专项清理 after a higher law changed: only documents whose current text cites a law
    /// whose title contains this (e.g. 行政许可法).
    pub citing_law: Option<String>,
    /// With `citingLaw`: only those citing this article.
    pub citing_article: Option<u32>,
}

#[derive(InputObject)]
pub struct LaunchCleanupInput {
    /// 文号 of the launching notice.
    pub notice_number: String,
    pub title: String,
    pub kind: CampaignKind,
    pub organiser: String,
    pub scope: CleanupScopeInput,
    /// When proposals are due.
    pub deadline: NaiveDate,
    pub launched_on: Option<NaiveDate>,
}

#[derive(InputObject)]
pub struct ProposeCleanupDecisionInput {
    /// The document's or item's id.
    pub entry_id: ID,
    pub decision: CampaignDecision,
    pub grounds: String,
    pub proposed_on: Option<NaiveDate>,
    /// AMEND: when the revision is due.
    pub revision_deadline: Option<NaiveDate>,
    /// CANCEL: what replaces the certificate.
    pub replacement_method: Option<String>,
    /// RETAIN: whether 告知承诺 may apply; when not, say why.
    pub commitment_allowed: Option<bool>,
    pub commitment_reason: Option<String>,
}

#[derive(InputObject)]
pub struct ReviewCleanupDecisionInput {
    pub entry_id: ID,
    pub accepted: bool,
    /// Required when refusing.
    pub comments: Option<String>,
    pub reviewed_on: Option<NaiveDate>,
}

impl Answer for CleanupCampaign {
    type Aggregate = c::CleanupCampaign;

    async fn read(pool: &PgPool, id: &str) -> ApiResult<Option<Self>> {
        let id = ledger_id(id)?;
        let campaign = queries::cleanup_campaign(pool, id, None)
            .await
            .map_err(gql)?;
        Ok(campaign.map(|(state, version)| CleanupCampaign { id, state, version }))
    }

    fn from_fold(id: &str, state: c::CleanupCampaign, version: i64) -> ApiResult<Self> {
        let id = ledger_id(id)?;
        Ok(CleanupCampaign { id, state, version })
    }
}

async fn on_campaign(
    ctx: &Context<'_>,
    id: Uuid,
    command: c::CleanupCampaignCommand,
) -> ApiResult<CleanupCampaignPayload> {
    let a = execute_and_answer(ctx, Command::CleanupCampaign { id, command }).await?;
    Ok(CleanupCampaignPayload {
        campaign: a.resource,
        position: a.position,
        projected: a.projected,
    })
}

#[derive(Default)]
pub struct CleanupMutations;

#[Object]
impl CleanupMutations {
    /// Launches a cleanup and compiles its inventory from the read model: every document in
    /// force in scope at the cut-off, and/or every listed certification item
    /// (LEGAL_OFFICE or GOVERNMENT_OFFICE).
    async fn launch_cleanup(
        &self,
        ctx: &Context<'_>,
        input: LaunchCleanupInput,
    ) -> ApiResult<CleanupCampaignPayload> {
        let id = Uuid::now_v7();
        let scope = input.scope;
        let launch = c::Launch {
            notice_number: input.notice_number,
            title: input.title,
            kind: input.kind.into(),
            organiser: input.organiser,
            scope: c::CleanupScope {
                body_codes: scope.body_codes,
                cut_off: scope.cut_off,
                classes: scope.classes.into_iter().map(Into::into).collect(),
                documents: scope.documents,
                certification_items: scope.certification_items,
                citing: match (scope.citing_law, scope.citing_article) {
                    (Some(law), article) => Some(c::CitedLaw { law, article }),
                    (None, Some(_)) => {
                        return Err(gql(ApiError::bad_input(
                            "scope.citingArticle",
                            "name the law (citingLaw) the article is of",
                        )));
                    }
                    (None, None) => None,
                },
            },
            deadline: input.deadline,
            launched_on: day(input.launched_on),
        };
        let command = c::CleanupCampaignCommand::Launch {
            id: id.to_string(),
            launch,
        };
        on_campaign(ctx, id, command).await
    }

    /// Proposes the decision on one entry (清理意见): DRAFTER of the document's body, or
    /// LEGAL_OFFICE. A new proposal replaces one still pending or refused.
    async fn propose_cleanup_decision(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: ProposeCleanupDecisionInput,
    ) -> ApiResult<CleanupCampaignPayload> {
        let command = c::CleanupCampaignCommand::ProposeDecision(c::Proposal {
            entry_id: input.entry_id.to_string(),
            decision: input.decision.into(),
            grounds: input.grounds,
            proposed_on: day(input.proposed_on),
            revision_deadline: input.revision_deadline,
            replacement_method: input.replacement_method,
            commitment_allowed: input.commitment_allowed,
            commitment_reason: input.commitment_reason,
        });
        on_campaign(ctx, parse_id_arg(&id)?, command).await
    }

    /// Accepts a proposal as the entry's final decision, or refuses it with comments
    /// (LEGAL_OFFICE).
    async fn review_cleanup_decision(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: ReviewCleanupDecisionInput,
    ) -> ApiResult<CleanupCampaignPayload> {
        let command = c::CleanupCampaignCommand::ReviewDecision(c::DecisionReview {
            entry_id: input.entry_id.to_string(),
            accepted: input.accepted,
            comments: input.comments,
            reviewed_on: day(input.reviewed_on),
        });
        on_campaign(ctx, parse_id_arg(&id)?, command).await
    }

    /// Records the government's approval of the result at its meeting, once every entry has
    /// a final decision (GOVERNMENT_OFFICE). A result that repeals, amends or declares invalid
    /// the government's own documents is published only after it.
    async fn approve_cleanup_result(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: ApproveCleanupResultInput,
    ) -> ApiResult<CleanupCampaignPayload> {
        let command = c::CleanupCampaignCommand::ApproveResult(c::ResultApproval {
            approved_on: day(input.approved_on),
            meeting_type: input.meeting_type.into(),
            meeting: input.meeting,
        });
        on_campaign(ctx, parse_id_arg(&id)?, command).await
    }

    /// Publishes the result under its 文号 once every entry has a final decision, then
    /// applies each decision to its document or item (repeal, declare invalid, retain,
    /// cancel). If that is interrupted, the server's scheduler finishes it
    /// (LEGAL_OFFICE or GOVERNMENT_OFFICE).
    async fn publish_cleanup_result(
        &self,
        ctx: &Context<'_>,
        id: ID,
        result_number: String,
        published_on: Option<NaiveDate>,
    ) -> ApiResult<CleanupCampaignPayload> {
        let id = parse_id_arg(&id)?;
        let result_number = DocumentNumber::parse(&result_number)
            .map_err(|e| gql(ApiError::bad_input("resultNumber", e.to_string())))?;
        let command = c::CleanupCampaignCommand::PublishResult(c::Publication {
            result_number,
            published_on: day(published_on),
        });
        let published = on_campaign(ctx, id, command).await?;
        let s = ctx.data::<Session>()?;
        match process::apply_cleanup(&s.ledger, id, None).await {
            Ok(_) => on_campaign_state(s, id, published).await,
            Err(e) => {
                // Published and acknowledged; the scheduler applies what is left.
                tracing::warn!(campaign = %id, error = %e, "cleanup result not fully applied yet");
                Ok(published)
            }
        }
    }

    /// Records the report of the result to the superior government (报送)
    /// (LEGAL_OFFICE or GOVERNMENT_OFFICE).
    async fn report_cleanup_to_superior(
        &self,
        ctx: &Context<'_>,
        id: ID,
        to: String,
        reference: Option<String>,
        reported_on: Option<NaiveDate>,
    ) -> ApiResult<CleanupCampaignPayload> {
        let command = c::CleanupCampaignCommand::ReportToSuperior(c::SuperiorReport {
            reported_on: day(reported_on),
            to,
            reference,
        });
        on_campaign(ctx, parse_id_arg(&id)?, command).await
    }

    /// Closes a campaign whose every decision has been applied
    /// (LEGAL_OFFICE or GOVERNMENT_OFFICE).
    async fn close_cleanup(
        &self,
        ctx: &Context<'_>,
        id: ID,
        closed_on: Option<NaiveDate>,
    ) -> ApiResult<CleanupCampaignPayload> {
        let command = c::CleanupCampaignCommand::Close {
            closed_on: day(closed_on),
        };
        on_campaign(ctx, parse_id_arg(&id)?, command).await
    }
}

/// The campaign as it stands after the process manager ran (read from the log, which the
/// read model may not have reached yet).
async fn on_campaign_state(
    s: &Session,
    id: Uuid,
    published: CleanupCampaignPayload,
) -> ApiResult<CleanupCampaignPayload> {
    let pool = s.ledger.pool();
    let Some((state, version)) = event_log::fold::<c::CleanupCampaign>(pool, &id.to_string(), None)
        .await
        .map_err(gql)?
    else {
        return Ok(published);
    };
    let point = event_log::latest_point(pool, "CleanupCampaign", &id.to_string())
        .await
        .map_err(|e| gql(crate::store::StoreError::from(e)))?;
    let projected = match point {
        Some(p) => {
            s.ledger
                .projector()
                .wait_for(p, s.ledger.settings().read_your_writes_timeout)
                .await
        }
        None => false,
    };
    Ok(CleanupCampaignPayload {
        campaign: CleanupCampaign { id, state, version },
        position: point.map_or(published.position, |p| p.position),
        projected,
    })
}

#[derive(Default)]
pub struct CleanupQueries;

#[Object]
impl CleanupQueries {
    /// One cleanup campaign; with `asOf`, as recorded up to that instant.
    async fn cleanup_campaign(
        &self,
        ctx: &Context<'_>,
        id: ID,
        as_of: Option<DateTime<Utc>>,
    ) -> ApiResult<Option<CleanupCampaign>> {
        let s = reader(ctx, "cleanupCampaign")?.session;
        let id = parse_id_arg(&id)?;
        Ok(queries::cleanup_campaign(&s.pool().await, id, as_of)
            .await
            .map_err(gql)?
            .map(|(state, version)| CleanupCampaign { id, state, version }))
    }

    /// Cleanup campaigns in launch order.
    async fn cleanup_campaigns(
        &self,
        ctx: &Context<'_>,
        status: Option<CampaignStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Connection<String, CleanupCampaign>> {
        let s = reader(ctx, "cleanupCampaigns")?.session;
        let limit = page_size(ctx, first)?;
        let after_id = after.as_deref().map(|a| parse_id("after", a)).transpose()?;
        let status = status.map(|x| c::CampaignStatus::from(x).as_str());
        let rows = queries::cleanup_campaigns(&s.pool().await, status, after_id, limit + 1)
            .await
            .map_err(gql)?;
        Ok(page(
            rows,
            limit,
            after.is_some(),
            |(id, state, version)| (id.to_string(), CleanupCampaign { id, state, version }),
        ))
    }

    /// Documents decided AMEND in a cleanup, still unrevised past their revision deadline
    /// as of `today`.
    async fn overdue_revisions(
        &self,
        ctx: &Context<'_>,
        today: Option<NaiveDate>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Connection<String, Document>> {
        reader(ctx, "overdueRevisions")?
            .deadlines(
                ctx,
                queries::DeadlineList::OverdueRevisions,
                today,
                first,
                after,
            )
            .await
    }
}
