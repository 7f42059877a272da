//! Cleanup campaign (行政规范性文件清理 / 证明事项清理): a notice launches it over a scope; the
//! inventory of in-force documents and listed certification items in that scope is compiled
//! at launch; each entry gets a proposal from whoever implements it (谁起草、谁实施、谁清理) and
//! a review by the legal office; the result is published once every entry has exactly one
//! final decision, then applied to each document and item by a process manager.
//!
//! ```text
//! OPEN → PUBLISHED → APPLIED → CLOSED        (ReportedToSuperior beside PUBLISHED/APPLIED)
//! ```

use async_trait::async_trait;
use chrono::NaiveDate;
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use crate::domain::certification_item::BasisLevel;
use crate::domain::document::{CleanupDecision, DocumentClass};
use crate::domain::document_number::DocumentNumber;
use crate::domain::error::{DomainError, check_optional_text, check_text};
use crate::domain::issuing_body::{IssuingBodyKind, MeetingType};

use crate::domain::limits::{
    MAX_LIST_LEN as MAX_LIST, MAX_SHORT_CHARS as MAX_SHORT, MAX_TEXT_CHARS as MAX_TEXT,
};

/// Why the campaign is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CampaignKind {
    /// 定期清理 (e.g. every two years).
    Periodic,
    /// 专项清理 (a theme: 营商环境, 产权保护, certification items…).
    Special,
    /// 全面清理 (after a change of higher law).
    Full,
}

/// What the campaign examines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CleanupScope {
    /// Issuing bodies whose documents are examined; empty means every body.
    pub body_codes: Vec<String>,
    /// Documents issued on or before this date and still in force are in scope (截至…).
    pub cut_off: NaiveDate,
    /// Document classes examined; empty means every class.
    pub classes: Vec<DocumentClass>,
    pub documents: bool,
    pub certification_items: bool,
    /// 专项清理: only documents whose current text cites this law (and article).
    #[serde(default)]
    pub citing: Option<CitedLaw>,
}

/// A law (by a part of its title, e.g. 行政许可法) and optionally one article of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CitedLaw {
    pub law: String,
    pub article: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Launch {
    /// The launching notice's 文号.
    pub notice_number: String,
    pub title: String,
    pub kind: CampaignKind,
    /// Who organises it (司法局, 县政府办公室…).
    pub organiser: String,
    pub scope: CleanupScope,
    /// When proposals are due.
    pub deadline: NaiveDate,
    pub launched_on: NaiveDate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EntryKind {
    Document,
    CertificationItem,
}

/// One document or item in the inventory, as the read model showed it at launch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InventoryEntry {
    pub kind: EntryKind,
    pub id: String,
    /// 文号 and title, or the item's name, for people reading the inventory.
    pub label: String,
    /// The document's issuing body (whose drafters propose the decision).
    pub body_code: Option<String>,
    /// The item's basis level, which decides whether it may be retained.
    pub basis_level: Option<BasisLevel>,
    /// The item is in a high-risk area where 告知承诺 is excluded.
    pub commitment_excluded: bool,
}

/// A proposed or final decision on one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Decision {
    Continue,
    Amend,
    Repeal,
    DeclareInvalid,
    Retain,
    Cancel,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Continue => "CONTINUE",
            Decision::Amend => "AMEND",
            Decision::Repeal => "REPEAL",
            Decision::DeclareInvalid => "DECLARE_INVALID",
            Decision::Retain => "RETAIN",
            Decision::Cancel => "CANCEL",
        }
    }

    /// The document decision, when this is one.
    pub fn for_document(self) -> Option<CleanupDecision> {
        match self {
            Decision::Continue => Some(CleanupDecision::Continue),
            Decision::Amend => Some(CleanupDecision::Amend),
            Decision::Repeal => Some(CleanupDecision::Repeal),
            Decision::DeclareInvalid => Some(CleanupDecision::DeclareInvalid),
            Decision::Retain | Decision::Cancel => None,
        }
    }
}

/// A proposal (清理意见) for one entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    pub entry_id: String,
    pub decision: Decision,
    /// Why: conflict with higher law, basis repealed, object gone, protectionism…
    pub grounds: String,
    pub proposed_on: NaiveDate,
    /// AMEND: when the revision is due.
    pub revision_deadline: Option<NaiveDate>,
    /// CANCEL: what replaces the certificate.
    pub replacement_method: Option<String>,
    /// RETAIN: whether 告知承诺 may apply, and if not, why.
    pub commitment_allowed: Option<bool>,
    pub commitment_reason: Option<String>,
}

/// The legal office's review (审查) of a proposal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionReview {
    pub entry_id: String,
    /// Accepted: the proposal becomes the entry's final decision. Refused: a new proposal is
    /// needed.
    pub accepted: bool,
    pub comments: Option<String>,
    pub reviewed_on: NaiveDate,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CampaignStatus {
    #[default]
    Open,
    Published,
    Applied,
    Closed,
}

impl CampaignStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignStatus::Open => "OPEN",
            CampaignStatus::Published => "PUBLISHED",
            CampaignStatus::Applied => "APPLIED",
            CampaignStatus::Closed => "CLOSED",
        }
    }
}

/// An inventory entry with its decision so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntryState {
    pub entry: InventoryEntry,
    /// The proposal awaiting review, or the accepted one.
    pub proposal: Option<Proposal>,
    pub review: Option<DecisionReview>,
    /// Why the published decision could not be applied to its document or item, if it
    /// could not (the latest failure).
    #[serde(default)]
    pub failure: Option<EntryFailure>,
}

/// A published decision its document or item refused (it was ended, cancelled or changed
/// outside the campaign meanwhile): recorded on the campaign so the legal office sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntryFailure {
    pub entry_id: String,
    /// The rule that refused it (as in `extensions.rule`), e.g. `INVALID_TRANSITION`.
    pub rule: String,
    pub reason: String,
    pub failed_on: NaiveDate,
}

impl EntryState {
    /// The final decision: an accepted proposal.
    pub fn final_proposal(&self) -> Option<&Proposal> {
        self.proposal
            .as_ref()
            .filter(|_| self.review.as_ref().is_some_and(|r| r.accepted))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Publication {
    pub result_number: DocumentNumber,
    pub published_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuperiorReport {
    pub reported_on: NaiveDate,
    /// To whom: the city government (上级人民政府)…
    pub to: String,
    pub reference: Option<String>,
}

/// The government's approval of a cleanup result (政府审议同意): required before a result that
/// repeals, amends or declares invalid the government's own documents is published, so the
/// legal office alone never ends a government's document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultApproval {
    pub approved_on: NaiveDate,
    pub meeting_type: MeetingType,
    /// The meeting itself, e.g. 县政府第15次常务会议.
    pub meeting: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CleanupCampaignCommand {
    Launch {
        id: String,
        launch: Launch,
    },
    ProposeDecision(Proposal),
    ReviewDecision(DecisionReview),
    ApproveResult(ResultApproval),
    PublishResult(Publication),
    /// Sent by the process manager once every decision reached its document or item, or
    /// was refused by it (each refusal recorded first).
    RecordApplied {
        applied_on: NaiveDate,
    },
    /// Sent by the process manager when a document or item refuses its published decision.
    RecordEntryFailure(EntryFailure),
    ReportToSuperior(SuperiorReport),
    Close {
        closed_on: NaiveDate,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CleanupCampaignEvent {
    CleanupLaunched { id: String, launch: Launch },
    InventoryCompiled { entries: Vec<InventoryEntry> },
    DecisionProposed(Proposal),
    DecisionReviewed(DecisionReview),
    ResultApproved(ResultApproval),
    ResultPublished(Publication),
    DecisionsApplied { applied_on: NaiveDate },
    EntryApplicationFailed(EntryFailure),
    ReportedToSuperior(SuperiorReport),
    CleanupClosed { closed_on: NaiveDate },
}

impl DomainEvent for CleanupCampaignEvent {
    fn event_type(&self) -> String {
        match self {
            Self::CleanupLaunched { .. } => "CleanupLaunched",
            Self::InventoryCompiled { .. } => "InventoryCompiled",
            Self::DecisionProposed(_) => "DecisionProposed",
            Self::DecisionReviewed(_) => "DecisionReviewed",
            Self::ResultApproved(_) => "ResultApproved",
            Self::ResultPublished(_) => "ResultPublished",
            Self::DecisionsApplied { .. } => "DecisionsApplied",
            Self::EntryApplicationFailed(_) => "EntryApplicationFailed",
            Self::ReportedToSuperior(_) => "ReportedToSuperior",
            Self::CleanupClosed { .. } => "CleanupClosed",
        }
        .to_owned()
    }
    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

impl CleanupCampaignEvent {
    /// One line for people reading a history.
    pub fn summary(&self) -> String {
        match self {
            Self::CleanupLaunched { launch, .. } => format!(
                "Cleanup launched (启动清理) by {}: {}",
                launch.notice_number, launch.title
            ),
            Self::InventoryCompiled { entries } => {
                format!("Inventory compiled (清理目录): {} entries", entries.len())
            }
            Self::DecisionProposed(p) => format!(
                "Decision proposed (清理意见) for {}: {}",
                p.entry_id,
                p.decision.as_str()
            ),
            Self::DecisionReviewed(r) => format!(
                "Decision reviewed (审查) for {}: {}",
                r.entry_id,
                if r.accepted { "accepted" } else { "refused" }
            ),
            Self::ResultApproved(a) => format!(
                "Cleanup result approved by the government (政府审议同意) at {} ({})",
                a.meeting,
                a.meeting_type.label()
            ),
            Self::ResultPublished(p) => {
                format!(
                    "Cleanup result published (公布清理结果) as {}",
                    p.result_number
                )
            }
            Self::DecisionsApplied { .. } => {
                "Every decision applied to its document or item, or its refusal recorded".into()
            }
            Self::EntryApplicationFailed(f) => format!(
                "Decision for {} could not be applied ({}): {}",
                f.entry_id, f.rule, f.reason
            ),
            Self::ReportedToSuperior(r) => format!("Reported to {} (报送)", r.to),
            Self::CleanupClosed { .. } => "Cleanup closed".into(),
        }
    }
}

/// What the campaign asks of the rest of the ledger.
#[async_trait]
pub trait CampaignServices: Send + Sync {
    /// Every in-force document and listed item in scope at the cut-off, from the read model.
    async fn inventory(&self, scope: &CleanupScope) -> Result<Vec<InventoryEntry>, DomainError>;
    /// Whether the issuing body is the government itself (county government or its office).
    async fn is_government_body(&self, code: &str) -> Result<bool, DomainError>;
    /// What holds a 文号 already: a document or another campaign's result (one claims table).
    async fn document_number_holder(
        &self,
        number: &DocumentNumber,
    ) -> Result<Option<String>, DomainError>;
}

/// Cleanup campaign state, folded from its events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CleanupCampaign {
    pub id: Option<String>,
    pub launch: Option<Launch>,
    pub status: CampaignStatus,
    pub entries: Vec<EntryState>,
    pub publication: Option<Publication>,
    /// The government's approval of the result, when it was needed and given.
    pub approval: Option<ResultApproval>,
    pub applied_on: Option<NaiveDate>,
    pub reports: Vec<SuperiorReport>,
    pub closed_on: Option<NaiveDate>,
}

impl CleanupCampaign {
    fn invalid(&self, command: &'static str) -> DomainError {
        DomainError::InvalidTransition {
            command,
            what: "cleanup campaign",
            state: if self.launch.is_none() {
                "NOT_LAUNCHED".into()
            } else {
                self.status.as_str().into()
            },
        }
    }

    fn expect(
        &self,
        command: &'static str,
        allowed: &[CampaignStatus],
    ) -> Result<&Launch, DomainError> {
        match &self.launch {
            Some(l) if allowed.contains(&self.status) => Ok(l),
            _ => Err(self.invalid(command)),
        }
    }

    pub fn entry(&self, id: &str) -> Option<&EntryState> {
        self.entries.iter().find(|e| e.entry.id == id)
    }

    fn open_entry(&self, id: &str) -> Result<&EntryState, DomainError> {
        let entry = self.entry(id).ok_or_else(|| DomainError::NotInInventory {
            what: id.to_owned(),
        })?;
        if entry.final_proposal().is_some() {
            return Err(DomainError::DecisionAlreadyFinal {
                what: entry.entry.label.clone(),
            });
        }
        Ok(entry)
    }

    /// Entries whose published decision their document or item refused.
    pub fn failed(&self) -> usize {
        self.entries.iter().filter(|e| e.failure.is_some()).count()
    }

    /// Entries still without a final decision.
    pub fn undecided(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| e.final_proposal().is_none())
            .count()
    }
}

impl Aggregate for CleanupCampaign {
    const TYPE: &'static str = "CleanupCampaign";
    type Command = CleanupCampaignCommand;
    type Event = CleanupCampaignEvent;
    type Error = DomainError;
    type Services = Box<dyn CampaignServices>;

    async fn handle(
        &mut self,
        command: Self::Command,
        services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        use CampaignStatus as S;
        use CleanupCampaignCommand as C;
        use CleanupCampaignEvent as E;
        let event = match command {
            C::Launch { id, launch } => {
                if self.launch.is_some() {
                    return Err(self.invalid("launchCleanup"));
                }
                check_launch(&launch)?;
                let entries = services.inventory(&launch.scope).await?;
                if entries.is_empty() {
                    return Err(DomainError::EmptyInventory);
                }
                // Launch and inventory are one append: no campaign exists without its list.
                sink.write(E::CleanupLaunched { id, launch }, self).await;
                sink.write(E::InventoryCompiled { entries }, self).await;
                return Ok(());
            }
            C::ProposeDecision(p) => {
                let launch = self.expect("proposeCleanupDecision", &[S::Open])?;
                let entry = self.open_entry(&p.entry_id)?;
                check_text("grounds", &p.grounds, MAX_TEXT)?;
                if p.proposed_on < launch.launched_on {
                    return Err(DomainError::invalid(
                        "proposedOn",
                        format!("must not be before the launch ({})", launch.launched_on),
                    ));
                }
                check_proposal(entry, &p)?;
                E::DecisionProposed(p)
            }
            C::ReviewDecision(r) => {
                self.expect("reviewCleanupDecision", &[S::Open])?;
                let entry = self.open_entry(&r.entry_id)?;
                let Some(proposal) = &entry.proposal.as_ref().filter(|_| entry.review.is_none())
                else {
                    return Err(DomainError::InvalidTransition {
                        command: "reviewCleanupDecision",
                        what: "inventory entry",
                        state: "NO_PENDING_PROPOSAL".into(),
                    });
                };
                if let Some(c) = &r.comments {
                    check_optional_text("comments", c, MAX_TEXT)?;
                }
                if !r.accepted && r.comments.as_deref().is_none_or(|c| c.trim().is_empty()) {
                    return Err(DomainError::invalid(
                        "comments",
                        "say why the proposal is refused",
                    ));
                }
                if r.reviewed_on < proposal.proposed_on {
                    return Err(DomainError::invalid(
                        "reviewedOn",
                        format!("must not be before the proposal ({})", proposal.proposed_on),
                    ));
                }
                E::DecisionReviewed(r)
            }
            C::ApproveResult(a) => {
                let launch = self.expect("approveCleanupResult", &[S::Open])?;
                if self.approval.is_some() {
                    return Err(self.invalid("approveCleanupResult"));
                }
                let missing = self.undecided();
                if missing > 0 {
                    return Err(DomainError::DecisionsIncomplete { missing });
                }
                check_text("meeting", &a.meeting, MAX_SHORT)?;
                let government = IssuingBodyKind::CountyGovernment.deliberating_meetings();
                if !government.contains(&a.meeting_type) {
                    return Err(DomainError::WrongMeeting {
                        kind: "county government".into(),
                        expected: government
                            .iter()
                            .map(|m| m.label())
                            .collect::<Vec<_>>()
                            .join(" or "),
                        given: a.meeting_type.label().to_owned(),
                    });
                }
                if a.approved_on < launch.launched_on {
                    return Err(DomainError::invalid(
                        "approvedOn",
                        format!("must not be before the launch ({})", launch.launched_on),
                    ));
                }
                E::ResultApproved(a)
            }
            C::PublishResult(p) => {
                let launch = self.expect("publishCleanupResult", &[S::Open])?;
                let missing = self.undecided();
                if missing > 0 {
                    return Err(DomainError::DecisionsIncomplete { missing });
                }
                if self.approval.is_none() {
                    // Each body is asked about once, however many of its documents end.
                    let mut checked: Vec<&str> = vec![];
                    for e in &self.entries {
                        let ends = e.final_proposal().is_some_and(|p| {
                            matches!(
                                p.decision,
                                Decision::Repeal | Decision::Amend | Decision::DeclareInvalid
                            )
                        });
                        let Some(body) = e.entry.body_code.as_deref() else {
                            continue;
                        };
                        if !ends || e.entry.kind != EntryKind::Document || checked.contains(&body) {
                            continue;
                        }
                        checked.push(body);
                        if services.is_government_body(body).await? {
                            return Err(DomainError::GovernmentApprovalRequired {
                                entry: e.entry.label.clone(),
                            });
                        }
                    }
                }
                if p.published_on < launch.launched_on {
                    return Err(DomainError::invalid(
                        "publishedOn",
                        format!("must not be before the launch ({})", launch.launched_on),
                    ));
                }
                // The result is published under a 文号 of its own, never a document's.
                if let Some(holder) = services.document_number_holder(&p.result_number).await? {
                    return Err(DomainError::DocumentNumberTaken {
                        number: p.result_number.to_string(),
                        holder,
                    });
                }
                E::ResultPublished(p)
            }
            C::RecordApplied { applied_on } => {
                if self.status == S::Applied || self.status == S::Closed {
                    // Another process manager got there first.
                    return Ok(());
                }
                self.expect("recordCleanupApplied", &[S::Published])?;
                E::DecisionsApplied { applied_on }
            }
            C::RecordEntryFailure(f) => {
                self.expect("recordCleanupEntryFailure", &[S::Published])?;
                let entry = self
                    .entry(&f.entry_id)
                    .ok_or_else(|| DomainError::NotInInventory {
                        what: f.entry_id.clone(),
                    })?;
                // A re-run meets the same refusal: recorded once.
                if entry
                    .failure
                    .as_ref()
                    .is_some_and(|known| known.rule == f.rule && known.reason == f.reason)
                {
                    return Ok(());
                }
                E::EntryApplicationFailed(f)
            }
            C::ReportToSuperior(r) => {
                self.expect("reportCleanupToSuperior", &[S::Published, S::Applied])?;
                check_text("to", &r.to, MAX_SHORT)?;
                if let Some(reference) = &r.reference {
                    check_optional_text("reference", reference, MAX_SHORT)?;
                }
                if let Some(p) = self
                    .publication
                    .as_ref()
                    .filter(|p| r.reported_on < p.published_on)
                {
                    return Err(DomainError::invalid(
                        "reportedOn",
                        format!("must not be before the result ({})", p.published_on),
                    ));
                }
                E::ReportedToSuperior(r)
            }
            C::Close { closed_on } => {
                if self.status == S::Published {
                    return Err(DomainError::DecisionsNotApplied);
                }
                self.expect("closeCleanup", &[S::Applied])?;
                E::CleanupClosed { closed_on }
            }
        };
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        use CleanupCampaignEvent as E;
        match event {
            E::CleanupLaunched { id, launch } => {
                self.id = Some(id);
                self.launch = Some(launch);
                self.status = CampaignStatus::Open;
            }
            E::InventoryCompiled { entries } => {
                self.entries = entries
                    .into_iter()
                    .map(|entry| EntryState {
                        entry,
                        proposal: None,
                        review: None,
                        failure: None,
                    })
                    .collect();
            }
            E::DecisionProposed(p) => {
                if let Some(e) = self.entries.iter_mut().find(|e| e.entry.id == p.entry_id) {
                    e.proposal = Some(p);
                    e.review = None;
                }
            }
            E::DecisionReviewed(r) => {
                if let Some(e) = self.entries.iter_mut().find(|e| e.entry.id == r.entry_id) {
                    e.review = Some(r);
                }
            }
            E::ResultApproved(a) => self.approval = Some(a),
            E::ResultPublished(p) => {
                self.publication = Some(p);
                self.status = CampaignStatus::Published;
            }
            E::DecisionsApplied { applied_on } => {
                self.applied_on = Some(applied_on);
                self.status = CampaignStatus::Applied;
            }
            E::EntryApplicationFailed(f) => {
                if let Some(e) = self.entries.iter_mut().find(|e| e.entry.id == f.entry_id) {
                    e.failure = Some(f);
                }
            }
            E::ReportedToSuperior(r) => self.reports.push(r),
            E::CleanupClosed { closed_on } => {
                self.closed_on = Some(closed_on);
                self.status = CampaignStatus::Closed;
            }
        }
    }
}

fn check_launch(l: &Launch) -> Result<(), DomainError> {
    check_text("noticeNumber", &l.notice_number, MAX_SHORT)?;
    check_text("title", &l.title, MAX_SHORT)?;
    check_text("organiser", &l.organiser, MAX_SHORT)?;
    if l.scope.body_codes.len() > MAX_LIST {
        return Err(DomainError::invalid(
            "scope.bodyCodes",
            format!("at most {MAX_LIST} entries"),
        ));
    }
    for code in &l.scope.body_codes {
        check_text("scope.bodyCodes", code, 64)?;
    }
    if !l.scope.documents && !l.scope.certification_items {
        return Err(DomainError::invalid(
            "scope",
            "examine documents, certification items, or both",
        ));
    }
    if let Some(c) = &l.scope.citing {
        check_text("scope.citingLaw", &c.law, MAX_SHORT)?;
        if !l.scope.documents {
            return Err(DomainError::invalid(
                "scope.citingLaw",
                "a cleanup by cited law examines documents",
            ));
        }
    }
    if l.deadline < l.launched_on {
        return Err(DomainError::invalid(
            "deadline",
            format!("must not be before the launch ({})", l.launched_on),
        ));
    }
    Ok(())
}

/// A proposal must fit its entry: document decisions for documents, item decisions for
/// items, and each with what it needs.
fn check_proposal(entry: &EntryState, p: &Proposal) -> Result<(), DomainError> {
    let kind = entry.entry.kind;
    let fits = match kind {
        EntryKind::Document => p.decision.for_document().is_some(),
        EntryKind::CertificationItem => matches!(p.decision, Decision::Retain | Decision::Cancel),
    };
    if !fits {
        return Err(DomainError::DecisionNotApplicable {
            decision: p.decision.as_str(),
            kind: match kind {
                EntryKind::Document => "a document",
                EntryKind::CertificationItem => "a certification item",
            },
        });
    }
    match p.decision {
        Decision::Amend => match p.revision_deadline {
            None => {
                return Err(DomainError::invalid(
                    "revisionDeadline",
                    "an AMEND decision needs the date the revision is due",
                ));
            }
            Some(d) if d < p.proposed_on => {
                return Err(DomainError::invalid(
                    "revisionDeadline",
                    "must not be before the proposal",
                ));
            }
            Some(_) => {}
        },
        Decision::Cancel => {
            let method = p.replacement_method.as_deref().unwrap_or_default();
            if method.trim().is_empty() {
                return Err(DomainError::ReplacementRequired);
            }
            check_text("replacementMethod", method, MAX_SHORT)?;
        }
        Decision::Retain => {
            // The item's own rules, checked now so the published result can always be applied.
            if !entry.entry.basis_level.is_some_and(BasisLevel::may_retain) {
                return Err(DomainError::BasisInsufficient);
            }
            let reason = p.commitment_reason.as_deref().unwrap_or_default();
            check_optional_text("commitmentReason", reason, MAX_TEXT)?;
            if p.commitment_allowed == Some(true) && entry.entry.commitment_excluded {
                return Err(DomainError::CommitmentExcluded);
            }
            if p.commitment_allowed != Some(true) && reason.trim().is_empty() {
                return Err(DomainError::invalid(
                    "commitmentReason",
                    "say why 告知承诺 cannot apply to this item",
                ));
            }
        }
        Decision::Continue | Decision::Repeal | Decision::DeclareInvalid => {}
    }
    Ok(())
}

#[cfg(test)]
#[path = "cleanup_campaign_tests.rs"]
mod tests;
