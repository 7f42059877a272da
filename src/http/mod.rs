//! The HTTP edge (axum): `POST /graphql`, `GET /graphql` (GraphiQL), `GET /healthz`,
//! `/readyz`, `/metrics`, attachments, and the public feed and pages (`public`), with the
//! rate limit of anonymous callers (`rate_limit`), and the web console (`console`).
//!
//! Every GraphQL answer is JSON with coded errors, even for a body that is not JSON at all.

mod attachments;
pub mod console;
mod graphiql;
mod public;
pub mod rate_limit;

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::ws::{
    CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade,
    rejection::WebSocketUpgradeRejection,
};
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::{SinkExt, StreamExt};
use serde_json::json;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use crate::commands::Ledger;
use crate::graphql::{NormledgerSchema, Session, error::ensure_codes};

#[derive(Clone)]
pub struct AppState {
    pub schema: NormledgerSchema,
    /// Answers introspection queries when introspection is on (see
    /// [`build_introspection_schema`](crate::graphql::build_introspection_schema)).
    pub introspection: Option<NormledgerSchema>,
    pub ledger: Arc<Ledger>,
    pub settings: HttpSettings,
    /// Open websockets per client address.
    pub sockets: Arc<std::sync::Mutex<HashMap<IpAddr, usize>>>,
    /// Requests without a token, per client address.
    pub public_limiter: Arc<rate_limit::RateLimiter>,
}

/// One open websocket of a client, counted until dropped.
struct SocketSlot {
    sockets: Arc<std::sync::Mutex<HashMap<IpAddr, usize>>>,
    ip: IpAddr,
}

impl SocketSlot {
    /// A slot for `ip`, unless it already holds `max` sockets.
    fn take(state: &AppState, ip: IpAddr) -> Option<SocketSlot> {
        let mut open = state.sockets.lock().ok()?;
        let n = open.entry(ip).or_insert(0);
        if *n >= state.settings.max_websockets_per_client {
            return None;
        }
        *n += 1;
        Some(SocketSlot {
            sockets: state.sockets.clone(),
            ip,
        })
    }
}

impl Drop for SocketSlot {
    fn drop(&mut self) {
        let Ok(mut open) = self.sockets.lock() else {
            return;
        };
        if let Some(n) = open.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// Settings of the HTTP edge.
#[derive(Debug, Clone, Copy)]
pub struct HttpSettings {
    /// Largest request body; a larger one is refused with 413 before it is read.
    pub max_body_bytes: usize,
    /// Largest file in a multipart request (a text's .docx); the whole multipart body may be
    /// this much larger than `max_body_bytes`.
    pub max_upload_bytes: usize,
    /// Serve GraphiQL on `GET /graphql` (switch off in production).
    pub graphiql: bool,
    /// Longest time one GraphQL request may run before it is answered with `TIMEOUT`.
    pub request_timeout: std::time::Duration,
    /// Open websockets (subscriptions) one client address may hold at once.
    pub max_websockets_per_client: usize,
    /// How often an open websocket's token is checked again: a revoked or expired token's
    /// socket is closed (code 4403) within this interval.
    pub token_recheck: std::time::Duration,
    /// How many requests without a token a client address may make (the public catalogue).
    pub public: rate_limit::PublicLimit,
    /// Mark the console's cookies Secure (the server is reached over TLS).
    pub secure_cookies: bool,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            max_body_bytes: 1 << 20,
            max_upload_bytes: 10 << 20,
            graphiql: true,
            request_timeout: std::time::Duration::from_secs(30),
            max_websockets_per_client: 8,
            token_recheck: std::time::Duration::from_secs(5),
            public: rate_limit::PublicLimit::default(),
            secure_cookies: false,
        }
    }
}

pub fn router(state: AppState) -> Router {
    // Multipart requests carry files: their bodies may reach the upload limit; `answer`
    // holds a plain JSON body to `max_body_bytes`.
    let limit = state.settings.max_body_bytes + state.settings.max_upload_bytes;
    Router::new()
        .route("/graphql", get(graphiql_or_websocket).post(graphql))
        .route("/graphiql/{file}", get(graphiql_asset))
        .route(
            "/documents/{id}/attachments/{sha256}",
            get(attachments::download),
        )
        .route("/feeds/documents.atom", get(public::feed))
        .route("/public/documents/{id}", get(public::page))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .merge(console::routes())
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

/// `GET /graphql`: a websocket upgrade (graphql-ws or the older subscriptions-transport-ws)
/// serves subscriptions; a plain GET serves GraphiQL.
async fn graphiql_or_websocket(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    protocol: Result<GraphQLProtocol, StatusCode>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let (Ok(protocol), Ok(upgrade)) = (protocol, upgrade) else {
        if !state.settings.graphiql {
            return StatusCode::NOT_FOUND.into_response();
        }
        return graphiql::page();
    };
    let Some(slot) = SocketSlot::take(&state, client.ip()) else {
        let body = json!({"errors": [{"message": format!(
            "at most {} open websockets per client", state.settings.max_websockets_per_client),
            "extensions": {"code": "BAD_USER_INPUT", "limit": "max_websockets_per_client"}}]});
        return (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
    };
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| async move {
            let _slot = slot;
            serve_websocket(socket, state, protocol).await;
        })
}

/// `GET /graphiql/{file}`: GraphiQL's vendored files, when GraphiQL is served.
async fn graphiql_asset(
    State(state): State<AppState>,
    file: axum::extract::Path<String>,
) -> Response {
    if !state.settings.graphiql {
        return StatusCode::NOT_FOUND.into_response();
    }
    graphiql::asset(file).await
}

/// The close code sent when a socket's token stops being valid (graphql-ws's "Forbidden").
pub const TOKEN_NO_LONGER_VALID: u16 = 4403;

/// Serves one websocket. The token travels in the init payload (`{"authorization": "Bearer
/// …"}`) and is checked again every `token_recheck`: once it is revoked or expired, the socket
/// is closed with [`TOKEN_NO_LONGER_VALID`] and its subscriptions end.
async fn serve_websocket(socket: WebSocket, state: AppState, protocol: GraphQLProtocol) {
    let (mut to_client, from_client) = socket.split();
    // The GraphQL side writes into a channel; this task forwards it, and can close the socket
    // itself when the token goes.
    let (outgoing, mut forward) = futures::channel::mpsc::channel::<WsMessage>(16);
    let secret: Arc<std::sync::Mutex<Option<String>>> = Default::default();
    let ledger = state.ledger.clone();
    let seen = secret.clone();
    let graphql = GraphQLWebSocket::new_with_pair(outgoing, from_client, state.schema, protocol)
        .on_connection_init(move |payload| async move {
            let token = payload
                .get("authorization")
                .or_else(|| payload.get("Authorization"))
                .and_then(|v| v.as_str())
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .unwrap_or_default()
                .to_owned();
            let actor = ledger
                .access()
                .token(&token)
                .await
                .ok()
                .flatten()
                .ok_or_else(|| async_graphql::Error::new("a valid bearer token is required"))?;
            if let Ok(mut s) = seen.lock() {
                *s = Some(token);
            }
            let mut data = async_graphql::Data::default();
            data.insert(Session::new(ledger, Some(actor), None, Default::default()));
            Ok(data)
        })
        .serve();
    let access = state.ledger.access().clone();
    let mut changes = access.changes();
    let forwarding = async move {
        // Checked again at once when access changes anywhere (a revocation is announced), and
        // on every tick besides (an expiry is not announced).
        let mut recheck = tokio::time::interval(state.settings.token_recheck);
        recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                message = forward.next() => match message {
                    Some(m) => if to_client.send(m).await.is_err() { return },
                    None => return,
                },
                changed = changes.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    recheck.reset_immediately();
                }
                _ = recheck.tick() => {
                    let token = secret.lock().ok().and_then(|s| s.clone());
                    let Some(token) = token else { continue };
                    // A database error is not a revocation: the next tick asks again.
                    if let Ok(None) = access.token(&token).await {
                        let close = CloseFrame {
                            code: TOKEN_NO_LONGER_VALID,
                            reason: "UNAUTHENTICATED: the token was revoked or has expired".into(),
                        };
                        let _ = to_client.send(WsMessage::Close(Some(close))).await;
                        return;
                    }
                }
            }
        }
    };
    tokio::pin!(graphql, forwarding);
    tokio::select! {
        // The client went: let what is queued reach it (the channel ends with `graphql`).
        _ = &mut graphql => forwarding.await,
        // The token went (or the client cannot be written to): end the subscriptions.
        _ = &mut forwarding => {}
    }
}

/// Ready to serve what it promises: 200 when the database answers and the read model is
/// moving; 503 naming the cause when the projection is stalled (an event it cannot apply, with
/// its position) or the database does not answer.
async fn readyz(State(state): State<AppState>) -> Response {
    match crate::projection::status(state.ledger.pool()).await {
        Ok(rows) => match rows.iter().find(|p| p.last_error.is_some()) {
            None => (StatusCode::OK, axum::Json(json!({"status": "ready"}))).into_response(),
            Some(p) => (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(json!({
                    "status": "projection stalled",
                    "projection": p.name,
                    "stuckPosition": p.stuck_position,
                    "since": p.last_error_at,
                    "lagEvents": p.lag_events,
                })),
            )
                .into_response(),
        },
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(json!({"status": "unavailable", "database": "unreachable"})),
            )
                .into_response()
        }
    }
}

/// `GET /metrics`: the Prometheus text format, for a bearer token of role ADMIN or AUDITOR
/// (not public: it tells how the ledger is used).
async fn metrics_text(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let allowed = match bearer(&headers) {
        Some(secret) => state
            .ledger
            .access()
            .token(secret)
            .await
            .ok()
            .flatten()
            .is_some_and(|a| {
                matches!(
                    a.role,
                    crate::domain::Role::Admin | crate::domain::Role::Auditor
                )
            }),
        None => false,
    };
    if !allowed {
        let body = json!({"errors": [{"message": "metrics need a bearer token of role ADMIN or AUDITOR",
            "extensions": {"code": "UNAUTHENTICATED"}}]});
        return (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
    }
    let open = state
        .sockets
        .lock()
        .map(|s| s.values().sum())
        .unwrap_or_default();
    crate::telemetry::refresh(state.ledger.pool(), open).await;
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::telemetry::render(),
    )
        .into_response()
}

/// 200 when the database answers, 503 otherwise.
async fn healthz(State(state): State<AppState>) -> Response {
    match sqlx::query("SELECT 1").execute(state.ledger.pool()).await {
        Ok(_) => (StatusCode::OK, axum::Json(json!({"status": "ok"}))).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(json!({"status": "unavailable", "database": "unreachable"})),
            )
                .into_response()
        }
    }
}

fn bad_request(message: &str) -> Response {
    let body = json!({"errors": [{"message": message, "extensions": {"code": "BAD_USER_INPUT"}}]});
    (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
}

async fn graphql(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let started = std::time::Instant::now();
    let mut kind = "invalid";
    let response = answer(state, client.ip(), headers, body, &mut kind).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("normledger_http_requests_total", "kind" => kind, "status" => status)
        .increment(1);
    metrics::histogram!("normledger_http_request_seconds", "kind" => kind)
        .record(started.elapsed().as_secs_f64());
    response
}

/// What kind of operation a GraphQL document holds, by its first keyword (a bounded label).
fn operation_kind(query: &str) -> &'static str {
    let first = query
        .trim_start()
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or_default();
    match first {
        "mutation" => "mutation",
        "subscription" => "subscription",
        _ => "query",
    }
}

/// Answers one `POST /graphql`; sets `kind` once the body is a GraphQL request.
async fn answer(
    state: AppState,
    client: IpAddr,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
    kind: &mut &'static str,
) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(rejection) => {
            let status = rejection.status();
            let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
                format!(
                    "the request body exceeds {} bytes",
                    state.settings.max_body_bytes
                )
            } else {
                "the request body could not be read".to_owned()
            };
            let body = json!({"errors": [{"message": message,
                "extensions": {"code": "BAD_USER_INPUT", "limit": "max_body_bytes"}}]});
            return (status, axum::Json(body)).into_response();
        }
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let request: async_graphql::Request = if content_type.starts_with("multipart/form-data") {
        // The GraphQL multipart request convention: `operations`, `map`, then the files.
        let options = async_graphql::http::MultipartOptions::default()
            .max_file_size(state.settings.max_upload_bytes)
            .max_num_files(8);
        let reader = futures::io::Cursor::new(body.to_vec());
        match async_graphql::http::receive_body(Some(content_type), reader, options).await {
            Ok(r) => r,
            Err(e) => return bad_request(&format!("the multipart request cannot be read: {e}")),
        }
    } else {
        if body.len() > state.settings.max_body_bytes {
            let body = json!({"errors": [{"message": format!(
                "the request body exceeds {} bytes", state.settings.max_body_bytes),
                "extensions": {"code": "BAD_USER_INPUT", "limit": "max_body_bytes"}}]});
            return (StatusCode::PAYLOAD_TOO_LARGE, axum::Json(body)).into_response();
        }
        match serde_json::from_slice(&body) {
            Ok(r) => r,
            Err(e) => return bad_request(&format!("the body is not a GraphQL request: {e}")),
        }
    };
    if let Err(message) = check_upload_references(&request) {
        return bad_request(&message);
    }
    *kind = operation_kind(&request.query);
    let actor = match bearer(&headers) {
        Some(secret) => match state.ledger.access().token(secret).await {
            Ok(actor) => actor,
            Err(e) => {
                tracing::warn!(error = %e, "token lookup failed");
                let body = json!({"errors": [{"message": "the database is unavailable; retry shortly",
                    "extensions": {"code": "UNAVAILABLE", "retryable": true}}]});
                return (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response();
            }
        },
        None => None,
    };
    // Without a valid token only the public queries answer; their callers are limited per
    // address (after authentication, so a made-up token does not escape the limit).
    if actor.is_none()
        && let Err(wait) = state.public_limiter.take(client)
    {
        return rate_limit::too_many(wait);
    }
    let correlation_id = headers
        .get("x-correlation-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128)
        .map(str::to_owned);
    let read_after = headers
        .get(READ_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let receipts: Arc<std::sync::Mutex<Vec<_>>> = Default::default();
    let session = Session::new(
        state.ledger.clone(),
        actor.clone(),
        correlation_id.clone(),
        receipts.clone(),
    )
    .read_after(read_after);
    let reads = session.reads.clone();
    let timeout = state.settings.request_timeout;
    let schema = match &state.introspection {
        Some(introspection) if crate::graphql::is_introspection(&request.query) => introspection,
        _ => &state.schema,
    };
    // Kept to answer again on the primary if the replica fails under the request.
    let again = state.ledger.reads().has_replicas().then(|| {
        let mut r =
            async_graphql::Request::new(request.query.clone()).variables(request.variables.clone());
        r.operation_name = request.operation_name.clone();
        r.extensions = request.extensions.clone();
        r
    });
    let Ok(mut response) =
        tokio::time::timeout(timeout, schema.execute(request.data(session))).await
    else {
        // Nothing of an unfinished command is committed; a finished one is in the log.
        let body = json!({"errors": [{"message": format!(
            "the request ran longer than {} s and was stopped; a mutation it held either committed whole or not at all (see the audit trail)",
            timeout.as_secs_f64()),
            "extensions": {"code": "TIMEOUT", "retryable": true}}]});
        return (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response();
    };
    ensure_codes(&mut response);
    // A replica that went away under a read: the read is answered again by the primary (a
    // query writes nothing, so asking twice is safe), and the replica is left out.
    if let (Some(replica), Some(again)) = (reads.replica(), again)
        && receipts.lock().is_ok_and(|r| r.is_empty())
        && has_code(&response, "UNAVAILABLE")
    {
        state
            .ledger
            .reads()
            .failed(replica, "a read failed for want of the database");
        let session = Session::new(
            state.ledger.clone(),
            actor,
            correlation_id,
            receipts.clone(),
        )
        .on_primary();
        if let Ok(r) = tokio::time::timeout(timeout, schema.execute(again.data(session))).await {
            response = r;
        }
        ensure_codes(&mut response);
    }
    // Read-your-writes: each write's position, whether the read model already shows it, and
    // how long after its commit it became visible (what `scripts/bench` reports as lag).
    let writes: Vec<serde_json::Value> = receipts
        .lock()
        .map(|r| {
            r.iter()
                .map(|w| {
                    json!({
                        "position": w.point.position,
                        "lsn": w.lsn,
                        "projected": w.projected,
                        "visibleAfterMs": w.visible_after.map(|d| d.as_secs_f64() * 1000.0),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    // The database away and nothing acknowledged: the whole request is to be retried, and the
    // status says so to clients and load balancers that never read the body (who the caller is
    // may well have been answered from memory, so the token lookup no longer fails first).
    let status = if writes.is_empty() && has_code(&response, "UNAVAILABLE") {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    if !writes.is_empty() {
        response.extensions.insert(
            "writes".to_owned(),
            async_graphql::Value::from_json(json!(writes)).unwrap_or_default(),
        );
    }
    (status, axum::Json(response)).into_response()
}

/// Whether any error of the response carries this `extensions.code`.
fn has_code(response: &async_graphql::Response, code: &str) -> bool {
    response.errors.iter().any(|e| {
        e.extensions
            .as_ref()
            .and_then(|x| x.get("code"))
            .is_some_and(|c| *c == async_graphql::Value::from(code))
    })
}

/// The multipart convention puts `#__graphql_file__:<n>` where the n-th file goes, and
/// async-graphql indexes its files with that n unchecked (a malformed or dangling reference
/// panics inside the resolver). So every such reference in the query or the variables must be
/// a number below the count of files this request carries; a plain JSON request carries none.
fn check_upload_references(request: &async_graphql::Request) -> Result<(), String> {
    const PREFIX: &str = "#__graphql_file__:";
    let variables = serde_json::to_string(&request.variables).unwrap_or_default();
    for text in [request.query.as_str(), variables.as_str()] {
        for (at, _) in text.match_indices(PREFIX) {
            let rest = &text[at + PREFIX.len()..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            let index = digits.parse::<usize>().ok();
            let closed = rest[digits.len()..].starts_with('"');
            if !closed || index.is_none_or(|i| i >= request.uploads.len()) {
                return Err(format!(
                    "{PREFIX}{digits}… does not name a file of this request (a file goes in a multipart request)"
                ));
            }
        }
    }
    Ok(())
}

/// A request header naming a WAL position (a write's `extensions.writes[].lsn`) that the
/// request's reads must see: read-your-writes across servers when reads go to replicas.
pub const READ_AFTER: &str = "normledger-read-after";

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}
