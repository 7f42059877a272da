//! Process managers: the ledger acting on its own events, through the same write path as
//! people (`Ledger::execute`), as the SYSTEM actor.
//!
//! - [`apply_cleanup`]: a published cleanup result reaches each document and item. Every
//!   step is idempotent in the aggregate itself (a second application of one campaign's
//!   decision writes nothing), so a run cut off anywhere is finished by simply running again.
//! - [`expire_due`]: documents past `valid_until` get `Expired`. Two servers doing this at once
//!   race on the document's version; the loser retries, finds it expired, and writes nothing.
//! - [`Scheduler`]: runs both periodically inside `serve`.
//!
//! These are eventual handlers, kept apart from the transactional append: a crash between a
//! campaign's publication and its application leaves work that the next run picks up.

use chrono::NaiveDate;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

use crate::commands::{Command, CommandError, Ledger, RequestContext};
use crate::domain::certification_item::ItemCleanupDecision;
use crate::domain::cleanup_campaign::{CampaignStatus, EntryFailure, EntryKind};
use crate::domain::document::CleanupOutcome;
use crate::domain::{
    Actor, CertificationItemCommand, CleanupCampaignCommand, DocumentCommand, DomainError, Role,
};
use crate::projection::queries;
use crate::store::event_log;

/// Today's date for the ledger's own actions (Asia/Shanghai), or a fixed day for tests and
/// drills.
#[derive(Debug, Clone, Copy, Default)]
pub enum Clock {
    #[default]
    System,
    Fixed(NaiveDate),
}

impl Clock {
    pub fn today(self) -> NaiveDate {
        match self {
            Clock::System => (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive(),
            Clock::Fixed(d) => d,
        }
    }
}

/// The SYSTEM actor, named after the process manager acting.
fn system(name: &str, causation: String) -> RequestContext {
    let actor = Actor {
        id: format!("system:{name}"),
        name: format!("normledger {name}"),
        role: Role::System,
        bodies: vec![],
    };
    let mut ctx = RequestContext::new(actor, Some(causation.clone()));
    ctx.causation_id = Some(causation);
    ctx
}

/// What one run of [`apply_cleanup`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CleanupRun {
    /// Entries sent to their document or item in this run (re-sent ones included: they
    /// write nothing the second time).
    pub entries_sent: usize,
    /// Entries whose document or item refused the decision (each recorded on the campaign).
    pub entries_failed: usize,
    /// True once the campaign records that every decision was applied (or its refusal
    /// recorded).
    pub complete: bool,
}

/// Applies a published cleanup result to its documents and items. `limit` stops after that
/// many entries (a deliberate interruption, for drills and tests); `None` runs to the end and
/// then records `DecisionsApplied` on the campaign.
pub async fn apply_cleanup(
    ledger: &Ledger,
    campaign_id: Uuid,
    limit: Option<usize>,
) -> Result<CleanupRun, CommandError> {
    let Some((campaign, _)) = event_log::fold::<crate::domain::CleanupCampaign>(
        ledger.pool(),
        &campaign_id.to_string(),
        None,
    )
    .await
    .map_err(|e| CommandError::Internal(e.to_string()))?
    else {
        return Err(CommandError::NotFound(format!(
            "no cleanup campaign {campaign_id}"
        )));
    };
    let mut run = CleanupRun::default();
    match campaign.status {
        CampaignStatus::Published => {}
        CampaignStatus::Applied | CampaignStatus::Closed => {
            run.complete = true;
            return Ok(run);
        }
        CampaignStatus::Open => return Ok(run),
    }
    let Some(publication) = &campaign.publication else {
        return Ok(run);
    };
    let ctx = system("cleanup", format!("{campaign_id}:ResultPublished"));
    for entry in &campaign.entries {
        if limit.is_some_and(|l| run.entries_sent >= l) {
            return Ok(run);
        }
        let Some(p) = entry.final_proposal() else {
            continue;
        };
        let id = Uuid::parse_str(&entry.entry.id)
            .map_err(|_| CommandError::Internal(format!("bad entry id {}", entry.entry.id)))?;
        let command = match entry.entry.kind {
            EntryKind::Document => Command::Document {
                id,
                command: DocumentCommand::ApplyCleanupDecision(CleanupOutcome {
                    campaign_id: campaign_id.to_string(),
                    decision: p.decision.for_document().ok_or_else(|| {
                        CommandError::Internal("an item decision on a document".into())
                    })?,
                    result_number: publication.result_number.to_string(),
                    decided_on: publication.published_on,
                    revision_deadline: p.revision_deadline,
                }),
            },
            EntryKind::CertificationItem => Command::CertificationItem {
                id,
                command: CertificationItemCommand::ApplyCleanupDecision {
                    campaign_id: campaign_id.to_string(),
                    decision: match p.decision {
                        crate::domain::cleanup_campaign::Decision::Cancel => {
                            ItemCleanupDecision::Cancel {
                                replacement_method: p
                                    .replacement_method
                                    .clone()
                                    .unwrap_or_default(),
                            }
                        }
                        _ => ItemCleanupDecision::Retain {
                            commitment_allowed: p.commitment_allowed == Some(true),
                            reason: p.commitment_reason.clone(),
                        },
                    },
                    decided_on: publication.published_on,
                },
            },
        };
        match ledger.execute(&ctx, command).await {
            Ok(_) => {}
            // The document or item refuses the decision for good (ended, cancelled or changed
            // outside the campaign meanwhile): recorded on the campaign, where the legal
            // office sees it, and the other entries go on. Anything else (the database, a
            // conflict) stops this run; the next one starts over, idempotently.
            Err(CommandError::Rejected(refusal))
                if !matches!(refusal, DomainError::ServiceUnavailable(_)) =>
            {
                tracing::warn!(campaign = %campaign_id, entry = %entry.entry.id, %refusal,
                    "cleanup decision refused by its document or item; recorded");
                let failure = EntryFailure {
                    entry_id: entry.entry.id.clone(),
                    rule: refusal.rule().to_owned(),
                    reason: refusal.to_string(),
                    failed_on: publication.published_on,
                };
                let record = Command::CleanupCampaign {
                    id: campaign_id,
                    command: CleanupCampaignCommand::RecordEntryFailure(failure),
                };
                ledger.execute(&ctx, record).await?;
                run.entries_failed += 1;
            }
            Err(e) => return Err(e),
        }
        run.entries_sent += 1;
    }
    let command = Command::CleanupCampaign {
        id: campaign_id,
        command: CleanupCampaignCommand::RecordApplied {
            applied_on: publication.published_on,
        },
    };
    ledger.execute(&ctx, command).await?;
    run.complete = true;
    Ok(run)
}

/// Appends `Expired` to every document in force past its last day as of `today`, dated the
/// day after `valid_until` (when it legally stopped being in force, however late the
/// scheduler runs). Returns how many this call expired (documents another server expired
/// first are not counted).
pub async fn expire_due(ledger: &Ledger, today: NaiveDate) -> Result<usize, CommandError> {
    let due = queries::past_validity(ledger.pool(), today, 500)
        .await
        .map_err(|e| CommandError::Internal(e.to_string()))?;
    let mut expired = 0;
    for (id, valid_until) in due {
        let ctx = system("expiry", format!("expiry:{today}"));
        let on = valid_until.succ_opt().unwrap_or(valid_until);
        let command = Command::Document {
            id,
            command: DocumentCommand::Expire { on },
        };
        match ledger.execute(&ctx, command).await {
            Ok(_) => expired += 1,
            // Expired, republished or ended by someone else since the read model was read.
            Err(CommandError::Rejected(
                DomainError::InvalidTransition { .. } | DomainError::NotYetExpired { .. },
            )) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(expired)
}

/// Published campaigns not yet applied: the cleanup process manager's work list.
async fn pending_campaigns(ledger: &Ledger) -> Result<Vec<Uuid>, CommandError> {
    queries::cleanup_campaigns(
        ledger.pool(),
        Some(CampaignStatus::Published.as_str()),
        None,
        100,
    )
    .await
    .map(|rows| rows.into_iter().map(|(id, _, _)| id).collect())
    .map_err(|e| CommandError::Internal(e.to_string()))
}

/// One pass of everything the ledger does on its own. A campaign that cannot be finished now
/// does not hold back the others; the first error is returned after all were tried.
pub async fn run_once(ledger: &Ledger, clock: Clock) -> Result<(), CommandError> {
    let mut first_error = expire_due(ledger, clock.today()).await.err();
    for id in pending_campaigns(ledger).await? {
        if let Err(e) = apply_cleanup(ledger, id, None).await {
            tracing::warn!(campaign = %id, error = %e, "cleanup result not applied yet; retried on the next run");
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// The periodic runner inside `serve`.
pub struct Scheduler {
    stop: Arc<tokio::sync::Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl Scheduler {
    pub fn spawn(ledger: Arc<Ledger>, clock: Clock, every: Duration) -> Self {
        let stop = Arc::new(tokio::sync::Notify::new());
        let stopped = stop.clone();
        let task = tokio::spawn(async move {
            loop {
                if let Err(e) = run_once(&ledger, clock).await {
                    // Retried on the next tick; nothing is lost, the work list is the ledger.
                    tracing::warn!(error = %e, "scheduled run failed");
                }
                tokio::select! {
                    _ = stopped.notified() => break,
                    _ = tokio::time::sleep(every) => {}
                }
            }
        });
        Scheduler { stop, task }
    }

    /// Asks the task to stop after its current run, without waiting.
    pub fn signal_stop(&self) {
        self.stop.notify_one();
    }

    /// Stops after the current run.
    pub async fn stop(self) {
        self.stop.notify_one();
        if tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .is_err()
        {
            tracing::warn!("the scheduler did not stop within 10 s");
        }
    }
}
