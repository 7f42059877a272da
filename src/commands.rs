//! The application's one write path. GraphQL mutations and the demo loader all call
//! [`Ledger::execute`], which
//! 1. authorises the actor against the write policy ([`crate::authz`]: role, issuing-body
//!    scope for drafters, and per-entry rules),
//! 2. builds the event metadata (actor, role, scope, request, correlation and causation ids),
//! 3. executes through cqrs-es on postgres-es, retrying a bounded number of times on an
//!    optimistic-concurrency conflict (postgres-es reports every unique violation as one; the
//!    retry sees fresh state and the domain then names the precise rule),
//! 4. waits until the read model includes the new events (read-your-writes), up to a timeout.

use cqrs_es::persist::PersistedEventStore;
use cqrs_es::{Aggregate, AggregateError, CqrsFramework};
use postgres_es::{PostgresCqrs, PostgresEventRepository};
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

pub use crate::authz::{
    POLICY, PUBLISHED, Permission, READS, ReadPermission, ReadScope, may_see_document,
    may_see_document_history, permission, read_scope,
};
use crate::domain::calendar::WorkingCalendar;
use crate::domain::cleanup_campaign::EntryKind;
use crate::domain::document::WarningSettings;
use crate::domain::issuing_body::IssuingBodyListing;
use crate::domain::screening::ScreeningRules;
use crate::domain::{
    Actor, CertificationItem, CertificationItemCommand, CleanupCampaign, CleanupCampaignCommand,
    DocumentCommand, DomainError, IssuingBody, IssuingBodyCommand, NormativeDocument, Role,
};
use crate::input_limits::InputLimits;
use crate::projection::Projector;
use crate::projection::inline::{Appended, DocumentStore};
use crate::store::access::AccessCache;
use crate::store::event_log::{self, LogPoint};
use crate::store::replicas::ReadPools;
use crate::store::services::LedgerServices;

/// A command for one of the aggregates.
#[derive(Debug, Clone)]
pub enum Command {
    IssuingBody {
        code: String,
        command: IssuingBodyCommand,
    },
    Document {
        id: uuid::Uuid,
        command: DocumentCommand,
    },
    CertificationItem {
        id: uuid::Uuid,
        command: CertificationItemCommand,
    },
    CleanupCampaign {
        id: uuid::Uuid,
        command: CleanupCampaignCommand,
    },
}

impl Command {
    /// The GraphQL mutation this command is, for the policy and the metadata.
    pub fn mutation(&self) -> &'static str {
        self.permission().mutation
    }

    /// The command as data, for the input limits.
    fn input(&self) -> serde_json::Value {
        match self {
            Command::IssuingBody { command, .. } => serde_json::to_value(command),
            Command::Document { command, .. } => serde_json::to_value(command),
            Command::CertificationItem { command, .. } => serde_json::to_value(command),
            Command::CleanupCampaign { command, .. } => serde_json::to_value(command),
        }
        .unwrap_or_default()
    }

    fn aggregate(&self) -> (&'static str, String) {
        match self {
            Command::IssuingBody { code, .. } => (IssuingBody::TYPE, code.clone()),
            Command::Document { id, .. } => (NormativeDocument::TYPE, id.to_string()),
            Command::CertificationItem { id, .. } => (CertificationItem::TYPE, id.to_string()),
            Command::CleanupCampaign { id, .. } => (CleanupCampaign::TYPE, id.to_string()),
        }
    }
}

/// Who asks, and the ids that tie this command to its request and to what caused it.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub actor: Actor,
    pub request_id: String,
    pub correlation_id: String,
    pub causation_id: Option<String>,
    /// Where the command's facts come from, when not from the actor's own knowledge (a
    /// report, or `illustrative` demo data); recorded as metadata `source`.
    pub source: Option<String>,
    /// A client-chosen id that makes retrying the command safe, with a hash of the request it
    /// names: a repeat with the same hash returns the original result and writes nothing.
    pub command_id: Option<(String, String)>,
}

impl RequestContext {
    /// A context for one request: a fresh request id, which also correlates unless given.
    pub fn new(actor: Actor, correlation_id: Option<String>) -> Self {
        let request_id = uuid::Uuid::now_v7().to_string();
        RequestContext {
            actor,
            correlation_id: correlation_id.unwrap_or_else(|| request_id.clone()),
            request_id,
            causation_id: None,
            source: None,
            command_id: None,
        }
    }
}

/// Why a command was not carried out. Nothing was written in any of these cases.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// A string or list is longer than this deployment allows.
    #[error("{field}: {reason}")]
    InputLimit { field: String, reason: String },
    /// A domain rule refused the command (or its input was malformed).
    #[error(transparent)]
    Rejected(DomainError),
    /// Still conflicting after the bounded retries: the client may retry.
    #[error("the {0} was changed concurrently; retry")]
    Conflict(&'static str),
    /// The database could not be reached: the client may retry.
    #[error("the database is unavailable")]
    Unavailable(String),
    #[error("internal error")]
    Internal(String),
}

impl CommandError {
    /// A bounded label for metrics: the kind of failure, or the rule that refused.
    pub fn outcome(&self) -> &'static str {
        match self {
            CommandError::Forbidden(_) => "FORBIDDEN",
            CommandError::NotFound(_) => "NOT_FOUND",
            CommandError::InputLimit { .. } => "INPUT_LIMIT",
            CommandError::Rejected(e) => e.rule(),
            CommandError::Conflict(_) => "CONFLICT",
            CommandError::Unavailable(_) => "UNAVAILABLE",
            CommandError::Internal(_) => "INTERNAL",
        }
    }
}

impl From<sqlx::Error> for CommandError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => CommandError::Unavailable(e.to_string()),
            // SQLSTATE classes 08 (connection exception), 53 (insufficient resources) and 57
            // (operator intervention: shutdown, restart): the database is away, retry.
            sqlx::Error::Database(ref d)
                if d.code()
                    .is_some_and(|c| ["08", "53", "57"].iter().any(|p| c.starts_with(p))) =>
            {
                CommandError::Unavailable(e.to_string())
            }
            // SQLSTATE class 22, data exception: a value PostgreSQL cannot hold (a NUL byte in
            // text, say) came from the client, whichever argument carried it.
            sqlx::Error::Database(ref d) if d.code().is_some_and(|c| c.starts_with("22")) => {
                CommandError::Rejected(DomainError::invalid(
                    "input",
                    "holds a value the database cannot store (NUL bytes are not allowed in text)",
                ))
            }
            e => CommandError::Internal(e.to_string()),
        }
    }
}

/// What a successful command produced.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub aggregate_id: String,
    /// Where its last event sits in the log.
    pub point: LogPoint,
    /// With replicas: the primary's WAL position once the read model showed it; a read that
    /// names it (`Normledger-Read-After`) waits for a replica to replay this far.
    pub lsn: Option<u64>,
    /// False when the read model had not caught up within the timeout.
    pub projected: bool,
    /// From the commit to the read model showing it, as this process saw it (None when the
    /// command was answered from the record, or not yet projected).
    pub visible_after: Option<Duration>,
    /// A document command's document as its row now stands (written in the same
    /// transaction), so that the answer needs no read.
    pub document: Option<Arc<crate::projection::queries::DocumentRow>>,
}

#[derive(Debug, Clone, Copy)]
pub struct WriteSettings {
    /// How many times a conflicting command is retried with fresh state.
    pub max_retries: u32,
    /// How long a command waits for the read model before answering anyway.
    pub read_your_writes_timeout: Duration,
    /// Working days a legality review may take by default (5–15 by rule; 15 here).
    pub review_working_days: u32,
    /// The warn-only rules' per-jurisdiction settings.
    pub warnings: WarningSettings,
    /// Sizes of strings and lists a command may carry.
    pub input_limits: InputLimits,
    /// Most characters a correction may change in one clause of the text.
    pub correction_max_chars: usize,
}

impl Default for WriteSettings {
    fn default() -> Self {
        WriteSettings {
            max_retries: 8,
            read_your_writes_timeout: Duration::from_secs(5),
            review_working_days: 15,
            warnings: WarningSettings::default(),
            input_limits: InputLimits::default(),
            correction_max_chars: crate::domain::document::DEFAULT_CORRECTION_MAX_CHARS,
        }
    }
}

/// The write side: documents through their inline store (`projection::inline`), the other
/// aggregates through one cqrs-es framework each, over the shared pool.
pub struct Ledger {
    pool: PgPool,
    /// Documents are stored with their read-model rows in the append's transaction.
    documents: DocumentStore,
    document_services: <NormativeDocument as Aggregate>::Services,
    bodies: PostgresCqrs<IssuingBody>,
    items: PostgresCqrs<CertificationItem>,
    campaigns: PostgresCqrs<CleanupCampaign>,
    projector: Projector,
    access: Arc<AccessCache>,
    reads: ReadPools,
    settings: WriteSettings,
    calendar: WorkingCalendar,
    screening: Arc<ScreeningRules>,
}

fn framework<A: Aggregate>(pool: &PgPool, services: A::Services) -> PostgresCqrs<A> {
    let store = PersistedEventStore::new_event_store(PostgresEventRepository::new(pool.clone()));
    // No cqrs-es queries: the read model is built by the projector from the log.
    CqrsFramework::new(store, vec![], services)
}

impl Ledger {
    pub fn new(
        pool: PgPool,
        reads: ReadPools,
        projector: Projector,
        settings: WriteSettings,
        calendar: WorkingCalendar,
        screening: ScreeningRules,
    ) -> Self {
        let screening = Arc::new(screening);
        Ledger {
            calendar,
            documents: DocumentStore::new(pool.clone()),
            document_services: Box::new(
                LedgerServices::new(pool.clone())
                    .with_screening(screening.clone())
                    .with_correction_max_chars(settings.correction_max_chars),
            ),
            screening,
            bodies: framework(&pool, ()),
            items: framework(&pool, ()),
            campaigns: framework::<CleanupCampaign>(
                &pool,
                Box::new(LedgerServices::new(pool.clone())),
            ),
            access: Arc::new(AccessCache::new(pool.clone())),
            reads,
            pool,
            projector,
            settings,
        }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub fn projector(&self) -> &Projector {
        &self.projector
    }

    /// Where reads go: a replica that has replayed this process's writes, or the primary.
    pub fn reads(&self) -> &ReadPools {
        &self.reads
    }

    /// Who a token or a console session stands for, kept in memory until access changes.
    pub fn access(&self) -> &Arc<AccessCache> {
        &self.access
    }

    /// The working-day calendar loaded at start.
    pub fn calendar(&self) -> &WorkingCalendar {
        &self.calendar
    }

    /// The screening rules loaded at start.
    pub fn screening(&self) -> &ScreeningRules {
        &self.screening
    }

    pub fn settings(&self) -> &WriteSettings {
        &self.settings
    }

    /// Authorises, executes (with bounded retries) and waits for the read model.
    pub async fn execute(
        &self,
        ctx: &RequestContext,
        command: Command,
    ) -> Result<Receipt, CommandError> {
        let mutation = command.mutation();
        let started = std::time::Instant::now();
        let result = self.execute_counted(ctx, command).await;
        let outcome = match &result {
            Ok(_) => "ok",
            Err(e) => e.outcome(),
        };
        metrics::counter!("normledger_commands_total", "mutation" => mutation, "outcome" => outcome)
            .increment(1);
        metrics::histogram!("normledger_command_seconds", "mutation" => mutation)
            .record(started.elapsed().as_secs_f64());
        result
    }

    async fn execute_counted(
        &self,
        ctx: &RequestContext,
        command: Command,
    ) -> Result<Receipt, CommandError> {
        let mutation = command.mutation();
        self.authorise(ctx, &command).await?;
        self.settings
            .input_limits
            .check(&command.input())
            .map_err(|o| CommandError::InputLimit {
                field: o.field,
                reason: o.reason,
            })?;
        let metadata = metadata(ctx, mutation);
        let (aggregate_type, aggregate_id) = command.aggregate();
        if let Command::CleanupCampaign {
            command: CleanupCampaignCommand::Launch { .. },
            ..
        } = &command
        {
            // The inventory comes from the read model: it must include every committed event.
            self.await_read_model().await?;
        }
        let mut attempt = 0;
        // Where a document command's events went; they are in its row already.
        let mut appended: Option<Appended> = None;
        loop {
            // A command id already on record answers from the record (also after a conflict:
            // a concurrent twin may just have committed it). A document command asks only
            // after a conflict or when it wrote nothing: its append is the check, since the
            // trigger that records the id refuses one already spent (a conflict).
            let documents_first_try = attempt == 0 && matches!(command, Command::Document { .. });
            if !documents_first_try
                && let Some((command_id, hash)) = &ctx.command_id
                && let Some(receipt) = self.recorded(command_id, hash).await?
            {
                return Ok(receipt);
            }
            let result = match &command {
                Command::IssuingBody { code, command } => self
                    .bodies
                    .execute_with_metadata(code, command.clone(), metadata.clone())
                    .await
                    .map_err(classify),
                Command::Document { id, command } => self
                    .documents
                    .execute(
                        &id.to_string(),
                        command.clone(),
                        &self.document_services,
                        &metadata,
                    )
                    .await
                    .map(|a| appended = a)
                    .map_err(classify),
                Command::CertificationItem { id, command } => self
                    .items
                    .execute_with_metadata(&id.to_string(), command.clone(), metadata.clone())
                    .await
                    .map_err(classify),
                Command::CleanupCampaign { id, command } => self
                    .campaigns
                    .execute_with_metadata(&id.to_string(), command.clone(), metadata.clone())
                    .await
                    .map_err(classify),
            };
            match result {
                Ok(()) => break,
                Err(CommandError::Conflict(_)) if attempt < self.settings.max_retries => {
                    attempt += 1;
                    tokio::time::sleep(backoff(attempt)).await;
                }
                Err(CommandError::Conflict(_)) => {
                    return Err(CommandError::Conflict(aggregate_type));
                }
                Err(CommandError::Rejected(e)) => {
                    // A twin with the same command id may have committed between our check and
                    // our load: then the refusal is of a command already carried out.
                    if let Some((command_id, hash)) = &ctx.command_id
                        && let Some(receipt) = self.recorded(command_id, hash).await?
                    {
                        return Ok(receipt);
                    }
                    return Err(CommandError::Rejected(e));
                }
                Err(e) => return Err(e),
            }
        }
        let committed_at = std::time::Instant::now();
        self.projector.committed();
        if let Some(Appended {
            point,
            settled,
            row,
        }) = appended
        {
            // Written with its row: the read model showed it the moment it committed. What
            // is left is for every reader of the log (audit trail, checkpoints, the feed) to
            // see it too: those read only settled events, and it settles once no transaction
            // older than its own is still running (often already so when it appended).
            if !settled {
                self.await_settled(point).await?;
            }
            let lsn = self.wal_position().await;
            return Ok(Receipt {
                aggregate_id,
                point,
                lsn,
                projected: true,
                visible_after: Some(Duration::ZERO),
                document: Some(Arc::new(row)),
            });
        }
        // A document command that wrote nothing (a step already taken): if it repeats a
        // command id, answer from the record, as its append would have.
        if matches!(command, Command::Document { .. })
            && let Some((command_id, hash)) = &ctx.command_id
            && let Some(receipt) = self.recorded(command_id, hash).await?
        {
            return Ok(receipt);
        }
        // With a command id, the command's own last event, exactly as a repeat will answer it.
        // Without one, the aggregate's newest event (an idempotent re-application may have
        // written nothing, and that is still the point to wait for).
        let point = match &ctx.command_id {
            Some((command_id, _)) => self.command_point(command_id).await?,
            None => None,
        };
        let point = match point {
            Some(point) => point,
            None => event_log::latest_point(&self.pool, aggregate_type, &aggregate_id)
                .await?
                .ok_or_else(|| {
                    CommandError::Internal("the committed event is not in the log".into())
                })?,
        };
        let projected = self
            .projector
            .wait_for(point, self.settings.read_your_writes_timeout)
            .await;
        let lsn = self.wal_position().await;
        Ok(Receipt {
            aggregate_id,
            point,
            lsn,
            projected,
            visible_after: projected.then(|| committed_at.elapsed()),
            document: None,
        })
    }

    async fn authorise(&self, ctx: &RequestContext, command: &Command) -> Result<(), CommandError> {
        let actor = &ctx.actor;
        let rule = command.permission();
        let mutation = rule.mutation;
        if !rule.roles.contains(&actor.role) {
            return Err(CommandError::Forbidden(format!(
                "{mutation} is not allowed for role {}",
                actor.role
            )));
        }
        // How the document's body was listed, read with the body in one statement.
        let mut listing: Option<IssuingBodyListing> = None;
        let body = match command {
            Command::Document {
                command: DocumentCommand::Draft { draft, .. },
                ..
            } => Some(draft.body_code.clone()),
            Command::Document {
                command: DocumentCommand::Import { record, .. },
                ..
            } => Some(record.body_code.clone()),
            Command::Document { id, .. } => {
                let (body, l) = self
                    .document_body(*id)
                    .await?
                    .ok_or_else(|| CommandError::NotFound(format!("no document {id}")))?;
                listing = l.map(|l| l.0);
                Some(body)
            }
            Command::CleanupCampaign {
                id,
                command: CleanupCampaignCommand::ProposeDecision(p),
            } => {
                let entry = self.campaign_entry(*id, &p.entry_id).await?;
                // 谁制定、谁清理: a document's decision is proposed by its drafting body and
                // reviewed by the legal office, which may therefore not propose it as well;
                // certification items have no drafting body, so the legal office proposes.
                match (&entry, actor.role) {
                    (Some((EntryKind::Document, _)), Role::LegalOffice) => {
                        return Err(CommandError::Forbidden(
                            "a document's cleanup decision is proposed by its drafting body; the legal office reviews it".into(),
                        ));
                    }
                    (Some((EntryKind::CertificationItem, _)), Role::Drafter) => {
                        return Err(CommandError::Forbidden(
                            "a certification item's cleanup decision is proposed by the legal office".into(),
                        ));
                    }
                    _ => {}
                }
                entry.and_then(|(_, body)| body)
            }
            Command::IssuingBody { .. }
            | Command::CertificationItem { .. }
            | Command::CleanupCampaign { .. } => None,
        };
        if command.needs_review_jurisdiction() {
            let body = body.as_deref().unwrap_or_default();
            match listing.as_ref().and_then(|l| l.review_body.clone()) {
                Some(reviewer) if actor.covers_body(&reviewer) => {}
                Some(reviewer) => {
                    return Err(CommandError::Forbidden(format!(
                        "documents of {body} are reviewed by {reviewer}; this token reviews for {}",
                        if actor.bodies.is_empty() {
                            "no review body".to_owned()
                        } else {
                            actor.bodies.join(", ")
                        }
                    )));
                }
                None => {
                    return Err(CommandError::Forbidden(format!(
                        "issuing body {body} has no designated review body (审核机构)"
                    )));
                }
            }
        }
        if let Command::Document {
            id,
            command: DocumentCommand::CorrectFact(c),
        } = command
        {
            // 更正 by whoever keyed it in: the role in the corrected event's metadata. An
            // event that is not this document's is the domain's to refuse (INVALID_INPUT).
            let recorded_by: Option<Option<String>> = sqlx::query_scalar(
                "SELECT metadata ->> 'role' FROM events
                 WHERE position = $1 AND aggregate_type = $2 AND aggregate_id = $3",
            )
            .bind(c.position)
            .bind(NormativeDocument::TYPE)
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
            if let Some(role) = recorded_by.flatten()
                && role != actor.role.as_str()
            {
                return Err(CommandError::Forbidden(format!(
                    "the fact was recorded by {role}; only that role corrects it"
                )));
            }
        }
        if let Some(authority) = command.filing_authority() {
            self.authorise_filing_authority(actor, authority).await?;
        }
        if let Command::Document {
            command: DocumentCommand::RecordDeliberation(_),
            ..
        } = command
        {
            // A government's documents are deliberated by its meetings, recorded by its
            // office; a department or township records its own leadership meeting.
            let body = body.as_deref().unwrap_or_default();
            let government = listing.as_ref().is_some_and(|l| l.kind.is_government());
            match (government, actor.role) {
                (true, Role::Drafter) => {
                    return Err(CommandError::Forbidden(format!(
                        "documents of {body} are deliberated by the government; its office records the meeting"
                    )));
                }
                (false, Role::GovernmentOffice) => {
                    return Err(CommandError::Forbidden(format!(
                        "documents of {body} are deliberated by that body's own meeting, which it records itself"
                    )));
                }
                _ => {}
            }
        }
        if rule.body_scoped && actor.role == Role::Drafter {
            let body = body.unwrap_or_default();
            if !actor.covers_body(&body) {
                return Err(CommandError::Forbidden(format!(
                    "this token may not act for issuing body {body}"
                )));
            }
        }
        Ok(())
    }

    /// A filing outcome is the authority's own: a FILING_AUTHORITY token records it for the
    /// authorities on the token; the legal office only for the county government, as the
    /// review body designated for it (the authority named is a listed county government
    /// whose review body is on the token).
    async fn authorise_filing_authority(
        &self,
        actor: &Actor,
        authority: &str,
    ) -> Result<(), CommandError> {
        let allowed = match actor.role {
            Role::FilingAuthority => actor.covers_body(authority),
            Role::LegalOffice => {
                let reviewers: Vec<Option<String>> = sqlx::query_scalar(
                    "SELECT payload -> 'IssuingBodyListed' ->> 'review_body'
                     FROM events
                     WHERE aggregate_type = $1 AND event_type = 'IssuingBodyListed'
                       AND payload -> 'IssuingBodyListed' ->> 'name' = $2
                       AND payload -> 'IssuingBodyListed' ->> 'kind' = 'COUNTY_GOVERNMENT'",
                )
                .bind(IssuingBody::TYPE)
                .bind(authority)
                .fetch_all(&self.pool)
                .await?;
                reviewers.iter().flatten().any(|r| actor.covers_body(r))
            }
            _ => false,
        };
        if allowed {
            return Ok(());
        }
        Err(CommandError::Forbidden(match actor.role {
            Role::LegalOffice => format!(
                "the legal office records filing outcomes only for the county government it reviews for; {authority} records its own"
            ),
            _ => format!(
                "this token records filing outcomes for {}, not for {authority}",
                if actor.bodies.is_empty() {
                    "no authority".to_owned()
                } else {
                    actor.bodies.join(", ")
                }
            ),
        }))
    }

    /// The receipt of a command already recorded under `command_id`; COMMAND_ID_REUSED when
    /// the id was used for a different request.
    async fn recorded(
        &self,
        command_id: &str,
        hash: &str,
    ) -> Result<Option<Receipt>, CommandError> {
        #[derive(sqlx::FromRow)]
        struct Recorded {
            request_hash: String,
            aggregate_id: String,
        }
        let row: Option<Recorded> = sqlx::query_as(
            "SELECT request_hash, aggregate_id FROM command_ids WHERE command_id = $1",
        )
        .bind(command_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(Recorded {
            request_hash,
            aggregate_id,
        }) = row
        else {
            return Ok(None);
        };
        if request_hash != hash {
            return Err(CommandError::Rejected(DomainError::CommandIdReused {
                command_id: command_id.to_owned(),
            }));
        }
        let point = self
            .command_point(command_id)
            .await?
            .ok_or_else(|| CommandError::Internal("a recorded command has no event".into()))?;
        let projected = self
            .projector
            .wait_for(point, self.settings.read_your_writes_timeout)
            .await;
        Ok(Some(Receipt {
            aggregate_id,
            point,
            lsn: self.wal_position().await,
            projected,
            visible_after: None,
            document: None,
        }))
    }

    /// Waits, up to the read-your-writes timeout, until `point` is settled: below every
    /// transaction still running, so that readers of the log in commit order see it.
    async fn await_settled(&self, point: LogPoint) -> Result<(), CommandError> {
        let deadline = std::time::Instant::now() + self.settings.read_your_writes_timeout;
        while event_log::safe_bound(&self.pool).await? <= point.transaction_id {
            if std::time::Instant::now() >= deadline {
                tracing::debug!(
                    ?point,
                    "a write was not settled within the read-your-writes timeout"
                );
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        Ok(())
    }

    /// With replicas: how far the primary's WAL has come now that the read model shows the
    /// command, for the reads that follow to wait on a replica. Committed is committed: a
    /// failure here only leaves the position unknown (and is logged).
    async fn wal_position(&self) -> Option<u64> {
        self.reads.wrote().await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "the primary's WAL position after a command is unknown");
            None
        })
    }

    /// The last event a recorded command wrote: the newest event of its aggregate in the
    /// transaction that recorded the id (the record itself keeps the first).
    async fn command_point(&self, command_id: &str) -> Result<Option<LogPoint>, sqlx::Error> {
        sqlx::query_as(
            "SELECT e.transaction_id::text::bigint AS transaction_id, e.position
             FROM command_ids c JOIN events e
               ON e.aggregate_type = c.aggregate_type AND e.aggregate_id = c.aggregate_id
              AND e.transaction_id = c.transaction_id
             WHERE c.command_id = $1
             ORDER BY e.sequence DESC LIMIT 1",
        )
        .bind(command_id)
        .fetch_optional(&self.pool)
        .await
    }

    /// Waits until the read model has applied the log's head as it is now.
    async fn await_read_model(&self) -> Result<(), CommandError> {
        let Some(head) = event_log::head(&self.pool).await? else {
            return Ok(());
        };
        if self
            .projector
            .wait_for(head, self.settings.read_your_writes_timeout)
            .await
        {
            Ok(())
        } else {
            Err(CommandError::Unavailable(
                "the read model is behind the log; retry".into(),
            ))
        }
    }

    /// The issuing body of an inventory entry (documents only), from the campaign's
    /// `InventoryCompiled` event.
    /// The kind of a campaign's inventory entry and, for a document, its issuing body; None
    /// when the campaign has no such entry (the domain then refuses with NOT_IN_INVENTORY).
    async fn campaign_entry(
        &self,
        id: uuid::Uuid,
        entry_id: &str,
    ) -> Result<Option<(EntryKind, Option<String>)>, sqlx::Error> {
        #[derive(sqlx::FromRow)]
        struct Entry {
            kind: serde_json::Value,
            body_code: Option<String>,
        }
        let row: Option<Entry> = sqlx::query_as(
            "SELECT entry -> 'kind' AS kind, entry ->> 'body_code' AS body_code
             FROM events, jsonb_array_elements(payload -> 'InventoryCompiled' -> 'entries') entry
             WHERE aggregate_type = $1 AND aggregate_id = $2 AND event_type = 'InventoryCompiled'
               AND entry ->> 'id' = $3",
        )
        .bind(CleanupCampaign::TYPE)
        .bind(id.to_string())
        .bind(entry_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.and_then(|e| Some((serde_json::from_value(e.kind).ok()?, e.body_code))))
    }

    /// The issuing body of a document, from its first event (`Drafted` or `DocumentImported`).
    /// The document's issuing body and how that body was listed (its kind, its review body),
    /// from the first events of both streams in one statement.
    async fn document_body(
        &self,
        id: uuid::Uuid,
    ) -> Result<Option<(String, Option<sqlx::types::Json<IssuingBodyListing>>)>, sqlx::Error> {
        sqlx::query_as(
            "SELECT d.body, b.payload -> 'IssuingBodyListed'
             FROM (SELECT coalesce(payload -> 'Drafted' -> 'draft' ->> 'body_code',
                                   payload -> 'DocumentImported' -> 'record' ->> 'body_code')
                          AS body
                   FROM events
                   WHERE aggregate_type = $1 AND aggregate_id = $2 AND sequence = 1) d
             LEFT JOIN events b
               ON b.aggregate_type = $3 AND b.aggregate_id = d.body AND b.sequence = 1
              AND b.event_type = 'IssuingBodyListed'",
        )
        .bind(NormativeDocument::TYPE)
        .bind(id.to_string())
        .bind(IssuingBody::TYPE)
        .fetch_optional(&self.pool)
        .await
    }
}

fn metadata(ctx: &RequestContext, mutation: &str) -> HashMap<String, String> {
    let a = &ctx.actor;
    let mut m = HashMap::from([
        ("actor_id".to_owned(), a.id.clone()),
        ("actor_name".to_owned(), a.name.clone()),
        ("role".to_owned(), a.role.as_str().to_owned()),
        ("bodies".to_owned(), a.bodies.join(",")),
        ("request_id".to_owned(), ctx.request_id.clone()),
        ("correlation_id".to_owned(), ctx.correlation_id.clone()),
        ("command".to_owned(), mutation.to_owned()),
    ]);
    // A command a person sent is caused by their request; one a process manager sends is
    // caused by the event it reacts to.
    let causation = ctx.causation_id.as_ref().unwrap_or(&ctx.request_id);
    m.insert("causation_id".to_owned(), causation.clone());
    if let Some(source) = &ctx.source {
        m.insert("source".to_owned(), source.clone());
    }
    if let Some((id, hash)) = &ctx.command_id {
        m.insert("command_id".to_owned(), id.clone());
        m.insert("command_hash".to_owned(), hash.clone());
    }
    m
}

fn classify(e: AggregateError<DomainError>) -> CommandError {
    match e {
        AggregateError::UserError(DomainError::ServiceUnavailable(e)) => {
            CommandError::Unavailable(e)
        }
        AggregateError::UserError(e) => CommandError::Rejected(e),
        AggregateError::AggregateConflict => CommandError::Conflict(""),
        AggregateError::DatabaseConnectionError(e) => CommandError::Unavailable(e.to_string()),
        // postgres-es reports most database errors as unexpected; the sqlx error inside says
        // whether the database was away (retryable) or the input was bad.
        AggregateError::UnexpectedError(e) => match e.downcast::<sqlx::Error>() {
            Ok(e) => CommandError::from(*e),
            Err(e) => CommandError::Internal(e.to_string()),
        },
        e => CommandError::Internal(e.to_string()),
    }
}

/// Short, growing, jittered pauses so that racing retries spread out.
fn backoff(attempt: u32) -> Duration {
    let jitter = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() % 5_000_000)
        .unwrap_or(0);
    Duration::from_millis(2u64 << attempt.min(6)) + Duration::from_nanos(u64::from(jitter))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_absent_database_is_unavailable_however_postgres_es_reports_it() {
        // postgres-es wraps most sqlx errors as "unexpected"; a pool timeout is an outage.
        let wrapped = AggregateError::UnexpectedError(Box::new(sqlx::Error::PoolTimedOut));
        assert!(matches!(classify(wrapped), CommandError::Unavailable(_)));
        assert!(matches!(
            CommandError::from(sqlx::Error::PoolClosed),
            CommandError::Unavailable(_)
        ));
        let other = AggregateError::UnexpectedError(Box::new(std::io::Error::other("?")));
        assert!(matches!(classify(other), CommandError::Internal(_)));
    }
}
