//! The GraphQL API: [`build_schema`] assembles query and mutation; [`Session`] carries the
//! caller into resolvers; `error` maps every failure to a coded error.

mod cleanup;
pub mod error;
mod mutation;
mod query;
mod report;
mod subscription;
pub mod types;

use async_graphql::Schema;
use chrono::NaiveDate;
use std::sync::Arc;

use crate::commands::Ledger;
use crate::domain::Actor;
use error::{ApiError, ApiResult, gql};

pub use mutation::MutationRoot;
pub use query::QueryRoot;
pub use subscription::SubscriptionRoot;

pub type NormledgerSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Per request: the ledger, the authenticated actor (if any) and the correlation id.
pub struct Session {
    pub ledger: Arc<Ledger>,
    pub actor: Option<Actor>,
    pub correlation_id: Option<String>,
    /// What this request's commands wrote, for the response's `extensions.writes`.
    pub receipts: Arc<std::sync::Mutex<Vec<crate::commands::Receipt>>>,
}

impl Session {
    /// The actor, or UNAUTHENTICATED.
    pub fn actor(&self) -> ApiResult<&Actor> {
        self.actor
            .as_ref()
            .ok_or_else(|| gql(ApiError::Unauthenticated))
    }
}

/// Limits that protect the server from expensive queries.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_depth: usize,
    pub max_complexity: usize,
    /// Answer introspection queries (switch off in production; `normledger schema` still
    /// prints the SDL).
    pub introspection: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 12,
            max_complexity: 5_000,
            introspection: true,
        }
    }
}

pub const DEFAULT_PAGE: i64 = 20;
pub const MAX_PAGE: i64 = 100;

/// `first` of a connection: 1..=MAX_PAGE, DEFAULT_PAGE when absent.
pub fn page_size(first: Option<i32>) -> ApiResult<i64> {
    match first.map(i64::from) {
        None => Ok(DEFAULT_PAGE),
        Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
        Some(_) => Err(gql(ApiError::bad_input(
            "first",
            format!("must be between 1 and {MAX_PAGE}"),
        ))),
    }
}

/// A Relay page from `rows` fetched with `limit + 1`: the extra row only says there is more.
pub fn page<T, N: async_graphql::OutputType>(
    mut rows: Vec<T>,
    limit: i64,
    has_previous: bool,
    edge: impl Fn(T) -> (String, N),
) -> async_graphql::connection::Connection<String, N> {
    let has_next = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let mut c = async_graphql::connection::Connection::new(has_previous, has_next);
    c.edges.extend(rows.into_iter().map(|r| {
        let (cursor, node) = edge(r);
        async_graphql::connection::Edge::new(cursor, node)
    }));
    c
}

/// Today's calendar date in Asia/Shanghai (UTC+8, no daylight saving): legal dates are local.
pub fn today() -> NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()
}

/// The schema without per-request data; the HTTP layer adds a [`Session`] to each request.
pub fn build_schema(limits: Limits) -> NormledgerSchema {
    let builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
    .limit_depth(limits.max_depth)
    .limit_complexity(limits.max_complexity);
    let builder = if limits.introspection {
        builder
    } else {
        builder.disable_introspection()
    };
    builder.finish()
}

/// The SDL of the schema (what `normledger schema` prints and `schema.graphql` holds).
pub fn sdl() -> String {
    build_schema(Limits::default()).sdl()
}
