//! The live feed: `events(filter, afterPosition)` first replays the log after a position,
//! then follows it live, in commit-safe global order, with no gap or duplicate at the switch
//! (both phases are the same query from the same cursor). Woken when the projector moves,
//! and every half second regardless.

use async_graphql::{Context, InputObject, Subscription};
use futures::Stream;
use std::collections::VecDeque;
use std::time::Duration;

use crate::graphql::audit::AuditEvent;
use crate::graphql::error::{ApiError, gql};
use crate::store::event_log::{self, AuditFilter, LogPoint, safe_bound};

pub struct SubscriptionRoot;

#[derive(InputObject, Default)]
pub struct EventsFilter {
    pub aggregate_type: Option<String>,
    pub aggregate_id: Option<String>,
    pub event_types: Option<Vec<String>>,
}

const PAGE: i64 = 200;

#[Subscription]
impl SubscriptionRoot {
    /// Events in global (commit-safe) order: those after `afterPosition` from the log, then
    /// new ones as they commit. Without `afterPosition`, only events committed from now on.
    async fn events(
        &self,
        ctx: &Context<'_>,
        filter: Option<EventsFilter>,
        after_position: Option<i64>,
    ) -> Result<impl Stream<Item = AuditEvent> + use<>, async_graphql::Error> {
        let session = crate::graphql::reader(ctx, "events")?.session;
        // Catching up reads whole pages of history: on a replica when there is one; the tail
        // (a page short of full) is read on the primary, which the projector's wake follows.
        let pool = session.pool().await;
        let primary = session.ledger.pool().clone();
        // The pool still catching up, until a page comes back short of full.
        let catching_up = Some(pool.clone());
        let start = match after_position {
            Some(0) => LogPoint::default(),
            Some(p) => event_log::point_of(&pool, p)
                .await
                .map_err(gql)?
                .ok_or_else(|| {
                    gql(ApiError::bad_input(
                        "afterPosition",
                        "not a position in the log",
                    ))
                })?,
            None => {
                // From now: just past the newest settled event.
                let bound = safe_bound(&pool).await.map_err(gql)?;
                let last: Option<LogPoint> = sqlx::query_as(
                    "SELECT transaction_id::text::bigint AS transaction_id, position FROM events
                     WHERE transaction_id < $1::bigint::text::xid8
                     ORDER BY events.transaction_id DESC, events.position DESC LIMIT 1",
                )
                .bind(bound)
                .fetch_optional(&pool)
                .await
                .map_err(gql)?;
                last.unwrap_or_default()
            }
        };
        let f = filter.unwrap_or_default();
        let filter = AuditFilter {
            aggregate_type: f.aggregate_type,
            aggregate_id: f.aggregate_id,
            event_types: f.event_types,
            ..Default::default()
        };
        let wake = session.ledger.projector().watch();
        let state = (catching_up, filter, start, VecDeque::new(), wake);
        Ok(futures::stream::unfold(
            state,
            move |(mut catching_up, filter, mut after, mut buffer, mut wake)| {
                let primary = primary.clone();
                async move {
                    loop {
                        if let Some(e) = buffer.pop_front() {
                            let state = (catching_up, filter, after, buffer, wake);
                            return Some((AuditEvent(e), state));
                        }
                        let pool = catching_up.as_ref().unwrap_or(&primary);
                        match event_log::audit_page(pool, &filter, after, PAGE).await {
                            Ok(page) => {
                                let caught_up = (page.len() as i64) < PAGE;
                                let was_catching_up = catching_up.is_some();
                                if caught_up {
                                    catching_up = None;
                                }
                                if !page.is_empty() || was_catching_up {
                                    after = page.last().map(|e| e.point()).unwrap_or(after);
                                    buffer.extend(page);
                                    continue;
                                }
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "live feed read failed; retrying");
                            }
                        }
                        let _ =
                            tokio::time::timeout(Duration::from_millis(500), wake.changed()).await;
                    }
                }
            },
        ))
    }
}
