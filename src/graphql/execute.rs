//! The one path every mutation takes: build a domain command, run it through the ledger's
//! single write path (`commands::Ledger::execute`) with the caller and the request's
//! `commandId`, then answer with the resource's fresh state ([`execute_and_answer`]).
//!
//! The `commandId` argument itself is declared once, for every mutation, in `root`.

use std::future::Future;

use async_graphql::{Context, ID};
use chrono::NaiveDate;
use sqlx::PgPool;
use uuid::Uuid;

use crate::commands::{Command, Receipt, RequestContext};
use crate::domain::StoredEvent;
use crate::graphql::error::{ApiError, ApiResult, gql};
use crate::graphql::{Session, today};
use crate::store::event_log;

/// A resource a mutation answers with: read from the read model once the projector has
/// caught up with the command, else folded from the log, so a caller always sees its own
/// write.
pub(crate) trait Answer: Sized {
    /// The aggregate whose events the resource is folded from.
    type Aggregate: cqrs_es::Aggregate<Event: StoredEvent>;

    /// The resource as the read model holds it; `id` is the aggregate id the receipt names.
    fn read(pool: &PgPool, id: &str) -> impl Future<Output = ApiResult<Option<Self>>> + Send;

    /// The resource from its state folded from the log.
    fn from_fold(id: &str, state: Self::Aggregate, version: i64) -> ApiResult<Self>;

    /// The resource as the command left its row, when the command wrote the row itself
    /// (documents): no read needed.
    fn from_receipt(_receipt: &Receipt) -> Option<Self> {
        None
    }
}

/// A mutation's answer: the resource, and where the command's last event sits in the log.
pub(crate) struct Answered<T> {
    pub resource: T,
    /// Global position of the command's last event.
    pub position: i64,
    /// False when the read model had not caught up within the timeout.
    pub projected: bool,
}

/// Runs the command and answers with the aggregate the receipt names (the original one when
/// a `commandId` was repeated).
pub(crate) async fn execute_and_answer<T: Answer>(
    ctx: &Context<'_>,
    command: Command,
) -> ApiResult<Answered<T>> {
    let (s, receipt) = execute(ctx, command).await?;
    let pool = s.ledger.pool();
    let id = receipt.aggregate_id.as_str();
    let resource = if let Some(resource) = T::from_receipt(&receipt) {
        Some(resource)
    } else if receipt.projected {
        T::read(pool, id).await?
    } else {
        match event_log::fold::<T::Aggregate>(pool, id, None)
            .await
            .map_err(gql)?
        {
            Some((state, version)) => Some(T::from_fold(id, state, version)?),
            None => None,
        }
    }
    .ok_or_else(|| gql(ApiError::Internal))?;
    Ok(Answered {
        resource,
        position: receipt.point.position,
        projected: receipt.projected,
    })
}

/// Runs the command as the session's actor, and keeps the receipt for the response's
/// `extensions.writes`.
pub(crate) async fn execute<'a>(
    ctx: &'a Context<'_>,
    command: Command,
) -> ApiResult<(&'a Session, Receipt)> {
    let actor = ctx.data::<Session>()?.actor()?.clone();
    execute_as(ctx, actor, command).await
}

/// Runs the command as `actor` (the public's mutations run as [`Role::Public`] whoever
/// calls them).
///
/// [`Role::Public`]: crate::domain::Role::Public
pub(crate) async fn execute_as<'a>(
    ctx: &'a Context<'_>,
    actor: crate::domain::Actor,
    command: Command,
) -> ApiResult<(&'a Session, Receipt)> {
    let s = ctx.data::<Session>()?;
    let mut rc = RequestContext::new(actor, s.correlation_id.clone());
    rc.command_id = command_id(ctx)?;
    let receipt = s.ledger.execute(&rc, command).await.map_err(gql)?;
    if let Ok(mut r) = s.receipts.lock() {
        r.push(receipt.clone());
    }
    Ok((s, receipt))
}

/// The mutation's `commandId`, with a hash of the request it names: the mutation's name and
/// every other argument, variables resolved, so a retry with the same input hashes the same.
fn command_id(ctx: &Context<'_>) -> ApiResult<Option<(String, String)>> {
    let field = ctx.field();
    let mut id = None;
    let mut request = serde_json::Map::new();
    for (name, value) in field.arguments()? {
        if name.as_str() == "commandId" {
            id = match value {
                async_graphql::Value::String(s) => Some(s),
                _ => None,
            };
        } else {
            request.insert(name.to_string(), value.into_json()?);
        }
    }
    // Files the mutation read: their contents, not the placeholders the arguments hold.
    let uploads: Vec<String> = ctx
        .data::<Session>()?
        .uploads
        .lock()
        .map(|mut u| std::mem::take(&mut *u))
        .unwrap_or_default();
    let Some(id) = id else { return Ok(None) };
    let id = parse_id("commandId", &id)?.to_string();
    let canonical = if uploads.is_empty() {
        serde_json::json!({"mutation": field.name(), "arguments": request})
    } else {
        serde_json::json!({"mutation": field.name(), "arguments": request, "uploads": uploads})
    };
    let hash = crate::store::integrity::hex(&sha2::Digest::finalize(sha2::Digest::chain_update(
        <sha2::Sha256 as sha2::Digest>::new(),
        canonical.to_string().as_bytes(),
    )));
    Ok(Some((id, hash)))
}

/// A UUID argument, refused as BAD_USER_INPUT naming `field` when malformed.
pub(crate) fn parse_id(field: &str, id: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(id).map_err(|_| gql(ApiError::bad_input(field, "not a UUID")))
}

/// The `id` argument of a mutation as a UUID.
pub(crate) fn parse_id_arg(id: &ID) -> ApiResult<Uuid> {
    parse_id("id", id)
}

/// An aggregate id the ledger wrote, as a UUID (never malformed: the ledger made it).
pub(crate) fn ledger_id(id: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(id).map_err(|_| gql(ApiError::Internal))
}

/// A date argument left out: today in Asia/Shanghai.
pub(crate) fn day(d: Option<NaiveDate>) -> NaiveDate {
    d.unwrap_or_else(today)
}
