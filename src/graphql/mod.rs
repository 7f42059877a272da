//! The GraphQL API: [`build_schema`] assembles the schema from `root`; [`Session`] carries
//! the caller into resolvers; `error` maps every failure to a coded error.
//!
//! One module per resource, each with its types, queries and mutations: `issuing_bodies`,
//! `documents` (with their deadline lists), `certification` (items), `cleanup` (campaigns),
//! `report` (the annual figures), `audit` (the audit trail, integrity, projection status),
//! `public` (the public catalogue, answered without a token).
//! Beside them: `root` (the roots and the `commandId` every mutation takes), `execute` (the
//! one path every mutation takes), `subscription` (the live feed), `read_policy` (the
//! extension that enforces the read policy on every field) and `loaders` (the DataLoader of
//! histories).

mod audit;
mod certification;
mod cleanup;
pub mod documents;
pub mod error;
mod execute;
mod issuing_bodies;
mod loaders;
pub mod public;
mod read_policy;
mod report;
mod root;
mod subscription;

use async_graphql::Schema;
use async_graphql::dataloader::DataLoader;
use async_graphql::extensions::apollo_persisted_queries::{
    ApolloPersistedQueries, LruCacheStorage,
};
use chrono::NaiveDate;
use std::sync::Arc;

use crate::authz::{IN_REVIEW, PUBLISHED, ReadScope, may_see_document};
use crate::commands::Ledger;
use crate::domain::Actor;
use error::{ApiError, ApiResult, gql};

pub use root::{MutationRoot, QueryRoot};
pub use subscription::SubscriptionRoot;

pub type NormledgerSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Per request: the ledger, the authenticated actor (if any) and the correlation id.
pub struct Session {
    pub ledger: Arc<Ledger>,
    pub actor: Option<Actor>,
    pub correlation_id: Option<String>,
    /// What this request's commands wrote, for the response's `extensions.writes`.
    pub receipts: Arc<std::sync::Mutex<Vec<crate::commands::Receipt>>>,
    /// Batches `Document.history` across a page; its cache lives as long as the request.
    pub history: DataLoader<loaders::DocumentHistory>,
    /// SHA-256 of each file the running mutation read from the request: an upload stands in
    /// the arguments as a placeholder, so its `commandId` hash takes the contents from here.
    pub uploads: std::sync::Mutex<Vec<String>>,
    /// A document's events up to a version, read once per request: a page that shows the
    /// history and the lifecycle path (or the warnings) of one document reads its log once.
    /// Keyed by version, because the events up to a version never change.
    /// Held across the read, so that fields resolved at once (history, path, warnings) wait
    /// for the first one's read instead of each making their own.
    pub document_events: tokio::sync::Mutex<DocumentEvents>,
    /// Which database this request reads from (a replica, or the primary).
    pub reads: Arc<Reads>,
}

/// Which database a request's reads go to: chosen at its first read (a replica that has
/// replayed what the request must see, else the primary) and kept for the request, so that
/// all its fields read one database; once the request has written, the primary.
pub struct Reads {
    ledger: Arc<Ledger>,
    receipts: Arc<std::sync::Mutex<Vec<crate::commands::Receipt>>>,
    /// A WAL position the client names (`Normledger-Read-After`): its own earlier write,
    /// perhaps through another server.
    after: std::sync::atomic::AtomicU64,
    chosen: tokio::sync::OnceCell<crate::store::replicas::Chosen>,
}

impl Reads {
    /// The pool this request's next read goes to.
    pub async fn pool(&self) -> sqlx::PgPool {
        let wrote = self.receipts.lock().map(|r| !r.is_empty()).unwrap_or(true);
        if wrote {
            return self.ledger.pool().clone();
        }
        let after = match self.after.load(std::sync::atomic::Ordering::Relaxed) {
            0 => None,
            at => Some(at),
        };
        self.chosen
            .get_or_init(|| self.ledger.reads().choose(after))
            .await
            .pool
            .clone()
    }

    /// The replica this request read from, if it did.
    pub fn replica(&self) -> Option<usize> {
        self.chosen.get().and_then(|c| c.replica)
    }
}

/// A request's memo of documents' events, by (document, version).
pub type DocumentEvents =
    std::collections::HashMap<(uuid::Uuid, i64), Arc<Vec<crate::store::event_log::EventRecord>>>;

impl Session {
    pub fn new(
        ledger: Arc<Ledger>,
        actor: Option<Actor>,
        correlation_id: Option<String>,
        receipts: Arc<std::sync::Mutex<Vec<crate::commands::Receipt>>>,
    ) -> Session {
        let reads = Arc::new(Reads {
            ledger: ledger.clone(),
            receipts: receipts.clone(),
            after: Default::default(),
            chosen: Default::default(),
        });
        let history = DataLoader::new(
            loaders::DocumentHistory {
                reads: reads.clone(),
            },
            tokio::spawn,
        );
        Session {
            ledger,
            actor,
            correlation_id,
            receipts,
            history,
            uploads: Default::default(),
            document_events: Default::default(),
            reads,
        }
    }

    /// Reads must see what the primary had written up to this WAL position.
    pub fn read_after(self, lsn: Option<u64>) -> Self {
        if let Some(lsn) = lsn {
            self.reads
                .after
                .store(lsn, std::sync::atomic::Ordering::Relaxed);
        }
        self
    }

    /// Every read of this request on the primary.
    pub fn on_primary(self) -> Self {
        let _ = self.reads.chosen.set(crate::store::replicas::Chosen {
            pool: self.ledger.pool().clone(),
            replica: None,
        });
        self
    }

    /// The pool this request's next read goes to (see [`Reads`]).
    pub async fn pool(&self) -> sqlx::PgPool {
        self.reads.pool().await
    }

    /// The actor, or UNAUTHENTICATED.
    pub fn actor(&self) -> ApiResult<&Actor> {
        self.actor
            .as_ref()
            .ok_or_else(|| gql(ApiError::Unauthenticated))
    }
}

/// A caller allowed to run a query, with the scope the read policy gives it.
pub struct Reader<'a> {
    pub session: &'a Session,
    pub actor: &'a Actor,
    pub scope: ReadScope,
}

/// The caller of `query`, checked against [`authz::READS`](crate::authz::READS):
/// UNAUTHENTICATED without a valid token, FORBIDDEN for a role the table does not list.
pub fn reader<'a>(ctx: &'a async_graphql::Context<'_>, query: &str) -> ApiResult<Reader<'a>> {
    let session = ctx.data::<Session>()?;
    let actor = session.actor()?;
    let scope = crate::authz::read_scope(query, actor.role).ok_or_else(|| {
        gql(ApiError::Forbidden(format!(
            "{query} is not allowed for role {}",
            actor.role
        )))
    })?;
    Ok(Reader {
        session,
        actor,
        scope,
    })
}

impl Reader<'_> {
    /// Whether this caller may see the document.
    pub fn sees(&self, doc: &crate::domain::NormativeDocument) -> bool {
        let body = doc.draft.as_ref().map_or("", |d| d.body_code.as_str());
        may_see_document(self.scope, &self.actor.bodies, body, doc.status.as_str())
    }

    /// The same rule as a read-model filter: (bodies, statuses) either of which admits a row;
    /// `None` when everything is visible.
    pub fn visibility(&self) -> Option<(Vec<String>, Vec<String>)> {
        let published = PUBLISHED.map(str::to_owned).to_vec();
        match self.scope {
            ReadScope::All => None,
            ReadScope::OwnBodies => Some((self.actor.bodies.clone(), published)),
            ReadScope::Published => Some((vec![], published)),
            ReadScope::UnderReview => {
                let mut statuses = published;
                statuses.extend(IN_REVIEW.map(str::to_owned));
                Some((vec![], statuses))
            }
        }
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
    /// Largest page a list query may ask for (`first`).
    pub max_page: i64,
    /// The public key the latest signed checkpoint must be signed by (`verifyIntegrity`);
    /// None checks signatures against the keys stored with them only.
    pub trusted_key: Option<[u8; 32]>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 12,
            max_complexity: 5_000,
            introspection: true,
            max_page: 100,
            trusted_key: None,
        }
    }
}

pub const DEFAULT_PAGE: i64 = 20;

/// `first` of a list: 1 to the configured maximum, DEFAULT_PAGE (or the maximum, if lower)
/// when absent.
pub fn page_size(ctx: &async_graphql::Context<'_>, first: Option<i32>) -> ApiResult<i64> {
    let max = ctx
        .data::<Limits>()
        .map_or(Limits::default().max_page, |l| l.max_page);
    match first.map(i64::from) {
        None => Ok(DEFAULT_PAGE.min(max)),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(_) => Err(gql(ApiError::bad_input(
            "first",
            format!("must be between 1 and {max}"),
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
    .extension(read_policy::ReadPolicy)
    // Apollo's persisted queries: a client sends the SHA-256 of a query it sent once, and
    // the server skips reading and parsing it. The cache is per process and bounded; a miss
    // answers PERSISTED_QUERY_NOT_FOUND and the client sends the query again.
    .extension(ApolloPersistedQueries::new(LruCacheStorage::new(
        PERSISTED_QUERIES,
    )))
    .limit_depth(limits.max_depth)
    .limit_complexity(limits.max_complexity)
    .data(limits);
    let builder = if limits.introspection {
        builder
    } else {
        builder.disable_introspection()
    };
    builder.finish()
}

/// How many persisted queries a server keeps (the least recently used go first).
pub const PERSISTED_QUERIES: usize = 1024;

/// The schema that answers introspection queries (GraphiQL's docs and autocomplete, code
/// generators): the same types, but it resolves introspection fields only (any other field is
/// null, a mutation an error), so it may allow the depth the standard introspection query
/// needs (about 14; `ofType` nests 7 deep) whatever `max_depth` the API has.
pub fn build_introspection_schema(limits: Limits) -> NormledgerSchema {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
    .introspection_only()
    .limit_depth(limits.max_depth.max(INTROSPECTION_DEPTH))
    .limit_complexity(limits.max_complexity)
    .data(limits)
    .finish()
}

/// Depth allowed to introspection queries.
pub const INTROSPECTION_DEPTH: usize = 20;

/// Whether a query asks for the schema itself (and may go to the introspection schema).
pub fn is_introspection(query: &str) -> bool {
    query.contains("__schema") || query.contains("__type(")
}

/// The SDL of the schema (what `normledger schema` prints and `schema.graphql` holds).
pub fn sdl() -> String {
    build_schema(Limits::default()).sdl()
}
