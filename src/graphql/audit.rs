//! The audit: the log's own events as auditors see them (the audit trail), its integrity
//! (hash chains, digests, signed checkpoints) and the projection's status.

use async_graphql::connection::Connection;
use async_graphql::{Context, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};

use crate::domain::DocumentEvent;
use crate::domain::issuing_body as b;
use crate::graphql::error::{ApiError, ApiResult, gql};
use crate::graphql::{Session, page, page_size, reader};
use crate::store::event_log::{self, AuditFilter, EventRecord, LogPoint};
use crate::store::integrity::{self, LogDigest};

/// One event of the log, as an auditor sees it.
pub struct AuditEvent(pub EventRecord);

#[Object]
impl AuditEvent {
    /// Global position (assigned at insert; cursors follow commit order, see docs/auditing.md).
    async fn position(&self) -> i64 {
        self.0.position
    }
    async fn aggregate_type(&self) -> &str {
        &self.0.aggregate_type
    }
    async fn aggregate_id(&self) -> &str {
        &self.0.aggregate_id
    }
    async fn sequence(&self) -> i64 {
        self.0.sequence
    }
    async fn event_type(&self) -> &str {
        &self.0.event_type
    }
    async fn event_version(&self) -> &str {
        &self.0.event_version
    }
    /// When the event was recorded (record time, not legal time).
    async fn recorded_at(&self) -> DateTime<Utc> {
        self.0.recorded_at
    }
    async fn actor_id(&self) -> Option<&str> {
        self.0.meta("actor_id")
    }
    async fn actor_name(&self) -> Option<&str> {
        self.0.meta("actor_name")
    }
    async fn role(&self) -> Option<&str> {
        self.0.meta("role")
    }
    async fn request_id(&self) -> Option<&str> {
        self.0.meta("request_id")
    }
    async fn correlation_id(&self) -> Option<&str> {
        self.0.meta("correlation_id")
    }
    async fn causation_id(&self) -> Option<&str> {
        self.0.meta("causation_id")
    }
    /// One line for people: what happened, in English with the Chinese term.
    async fn summary(&self) -> String {
        let e = &self.0;
        let decoded = match e.aggregate_type.as_str() {
            "NormativeDocument" => {
                DocumentEvent::decode(&e.event_type, &e.event_version, e.payload.clone())
                    .map(|d| d.summary())
            }
            "IssuingBody" => serde_json::from_value::<b::IssuingBodyEvent>(e.payload.clone())
                .map(|b| b.summary()),
            "CertificationItem" => {
                serde_json::from_value::<crate::domain::CertificationItemEvent>(e.payload.clone())
                    .map(|i| i.summary())
            }
            "CleanupCampaign" => {
                serde_json::from_value::<crate::domain::CleanupCampaignEvent>(e.payload.clone())
                    .map(|c| c.summary())
            }
            _ => Ok(e.event_type.clone()),
        };
        decoded.unwrap_or_else(|_| format!("{} (undecodable payload)", e.event_type))
    }
    async fn payload(&self) -> Json<serde_json::Value> {
        Json(self.0.payload.clone())
    }
    async fn metadata(&self) -> Json<serde_json::Value> {
        Json(self.0.metadata.clone())
    }
}

/// One page of the audit trail.
pub async fn audit_page(
    ctx: &Context<'_>,
    filter: AuditFilter,
    first: Option<i32>,
    after: Option<String>,
) -> ApiResult<Connection<String, AuditEvent>> {
    let session = ctx.data::<Session>()?;
    let limit = page_size(ctx, first)?;
    // The cursor is the global position; paging continues in commit-safe order from there.
    let not_a_cursor = || {
        gql(crate::graphql::error::ApiError::bad_input(
            "after",
            "not a position in the log",
        ))
    };
    let start = match &after {
        Some(a) => {
            let position: i64 = a.parse().map_err(|_| not_a_cursor())?;
            event_log::point_of(&session.pool().await, position)
                .await
                .map_err(gql)?
                .ok_or_else(not_a_cursor)?
        }
        None => LogPoint::default(),
    };
    let rows = event_log::audit_page(&session.pool().await, &filter, start, limit + 1)
        .await
        .map_err(gql)?;
    Ok(page(rows, limit, after.is_some(), |r| {
        (r.position.to_string(), AuditEvent(r))
    }))
}

/// The outcome of `verifyIntegrity`.
#[derive(SimpleObject)]
pub struct IntegrityReport {
    /// True when every link checks, every signed checkpoint agrees with the log and the given
    /// digest (if any) is extended.
    intact: bool,
    events_checked: u64,
    streams_checked: u64,
    first_broken_link: Option<BrokenLink>,
    /// Whether the log still extends the given digest; null when none was given.
    extends_digest: Option<bool>,
    digest_problem: Option<String>,
    /// How many signed checkpoints were checked against the log.
    checkpoints_checked: u64,
    /// When the latest signed checkpoint was taken.
    latest_checkpoint_at: Option<DateTime<Utc>>,
    /// Whether the latest checkpoint is signed by the server's configured public key; null
    /// when none is configured (signatures are then checked against the stored keys only).
    checkpoint_signer_trusted: Option<bool>,
    /// The first checkpoint the log or its signature disagrees with, and why.
    checkpoint_problem: Option<String>,
    /// The digest of the log now: keep it to check later that nothing before it changed.
    current_digest: String,
    current_last_position: i64,
}

impl IntegrityReport {
    pub fn new(v: integrity::Verification) -> Self {
        let current = &v.digest;
        IntegrityReport {
            intact: v.is_intact(),
            events_checked: v.events_checked,
            streams_checked: v.streams_checked,
            first_broken_link: v.first_broken_link.map(|b| BrokenLink {
                aggregate_type: b.aggregate_type,
                aggregate_id: b.aggregate_id,
                sequence: b.sequence,
                position: b.position,
                problem: b.problem,
            }),
            extends_digest: v.extends_digest,
            digest_problem: v.digest_problem,
            checkpoints_checked: v.checkpoints.checked,
            latest_checkpoint_at: v.checkpoints.latest.map(|(at, _)| at),
            checkpoint_signer_trusted: v.checkpoints.signer_trusted,
            checkpoint_problem: v.checkpoints.problem.clone(),
            current_digest: current.to_string(),
            current_last_position: current.last_position,
        }
    }
}

/// Where the log stops being what its hashes say.
#[derive(SimpleObject)]
pub struct BrokenLink {
    aggregate_type: String,
    aggregate_id: String,
    sequence: i64,
    position: Option<i64>,
    problem: String,
}

/// How far a projection is behind the log.
#[derive(SimpleObject)]
pub struct ProjectionStatus {
    name: String,
    checkpoint_position: i64,
    events_applied: i64,
    /// Events left alone because their row already held them (overlapping writers).
    events_skipped: i64,
    /// Document events found in the rows their commands wrote in the append's transaction
    /// (the inline projection): expected, not an overlap.
    events_written_inline: i64,
    updated_at: DateTime<Utc>,
    /// Highest position among settled events (no late commit can precede them).
    safe_head_position: Option<i64>,
    /// Committed events not yet applied.
    lag_events: i64,
    /// Age of the oldest event not yet applied, in seconds (0 when none).
    lag_seconds: f64,
    /// Age of the oldest running transaction that has written, in seconds (0 when none).
    /// Every reader of the log waits for it: a large value says why the projection lags.
    oldest_transaction_seconds: f64,
    /// Why the projection cannot move on (null while it moves): the last failed batch's error.
    last_error: Option<String>,
    /// Since when it has been failing at the same place.
    last_error_at: Option<DateTime<Utc>>,
    /// The position of the event it cannot apply (a poison event), when that is the cause.
    stuck_position: Option<i64>,
    /// Failed batches since the ledger began.
    errors_total: i64,
    /// The leading projector's database session (process id, client address, since when);
    /// null when no server leads.
    leader: Option<String>,
}

impl From<crate::projection::ProjectionStatus> for ProjectionStatus {
    fn from(p: crate::projection::ProjectionStatus) -> Self {
        ProjectionStatus {
            name: p.name,
            checkpoint_position: p.checkpoint_position,
            events_applied: p.events_applied,
            events_skipped: p.events_skipped,
            events_written_inline: p.events_inline,
            updated_at: p.updated_at,
            safe_head_position: p.safe_head_position,
            lag_events: p.lag_events,
            lag_seconds: p.lag_seconds,
            oldest_transaction_seconds: p.oldest_transaction_seconds,
            last_error: p.last_error,
            last_error_at: p.last_error_at,
            stuck_position: p.stuck_position,
            errors_total: p.errors_total,
            leader: p.leader,
        }
    }
}

#[derive(InputObject, Default)]
pub struct AuditTrailFilter {
    pub aggregate_id: Option<String>,
    /// `NormativeDocument` or `IssuingBody`.
    pub aggregate_type: Option<String>,
    pub actor_id: Option<String>,
    /// A role name, e.g. `LEGAL_OFFICE`.
    pub role: Option<String>,
    pub event_types: Option<Vec<String>>,
    /// Recorded at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Recorded before this instant.
    pub to: Option<DateTime<Utc>>,
    /// Global position at least this.
    pub from_position: Option<i64>,
    /// Global position at most this.
    pub to_position: Option<i64>,
}

/// The audit trail: the log itself.
#[derive(Default)]
pub struct AuditTrailQueries;

#[Object]
impl AuditTrailQueries {
    /// The event log itself, in commit order, filtered: who did what, when, in which role.
    async fn audit_trail(
        &self,
        ctx: &Context<'_>,
        filter: Option<AuditTrailFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Connection<String, AuditEvent>> {
        reader(ctx, "auditTrail")?;
        let f = filter.unwrap_or_default();
        let filter = AuditFilter {
            aggregate_id: f.aggregate_id,
            aggregate_type: f.aggregate_type,
            actor_id: f.actor_id,
            role: f.role,
            event_types: f.event_types,
            from: f.from,
            to: f.to,
            from_position: f.from_position,
            to_position: f.to_position,
        };
        audit_page(ctx, filter, first, after).await
    }
}

/// The ledger's own state: projection status and integrity.
#[derive(Default)]
pub struct IntegrityQueries;

#[Object]
impl IntegrityQueries {
    /// Per projection: checkpoint, the log's safe head, lag in events and seconds.
    async fn projection_status(&self, ctx: &Context<'_>) -> ApiResult<Vec<ProjectionStatus>> {
        let s = reader(ctx, "projectionStatus")?.session;
        Ok(crate::projection::status(s.ledger.pool())
            .await
            .map_err(gql)?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Recomputes the hash chain of every stream from the raw rows (optionally only links in a
    /// position range), checks every signed checkpoint (and, when the server was given
    /// `--public-key`, that the latest is signed by it) and, given an earlier `digest`, that
    /// the log still extends it.
    /// AUDITOR and LEGAL_OFFICE only.
    async fn verify_integrity(
        &self,
        ctx: &Context<'_>,
        from_position: Option<i64>,
        to_position: Option<i64>,
        digest: Option<String>,
    ) -> ApiResult<IntegrityReport> {
        let s = reader(ctx, "verifyIntegrity")?.session;
        let earlier = digest
            .map(|d| d.parse::<LogDigest>())
            .transpose()
            .map_err(|e| gql(ApiError::bad_input("digest", e)))?;
        let pool = s.ledger.pool();
        let trust = match ctx.data_unchecked::<super::Limits>().trusted_key {
            Some(key) => integrity::Trust::Key(key),
            None => integrity::Trust::StoredKeys,
        };
        let v = integrity::verify(pool, from_position, to_position, earlier.as_ref(), trust)
            .await
            .map_err(gql)?;
        Ok(IntegrityReport::new(v))
    }
}
