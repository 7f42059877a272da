//! The web console (`/console/…`): server-rendered pages for the legal office, advisors,
//! drafters, the government office, auditors, ADMIN, and the public catalogue.
//!
//! # How a page is made
//! A handler resolves the signed-in person ([`session`]), runs one or more of the console's
//! own GraphQL operations against the same schema the API serves ([`api`]), and renders the
//! answer with maud ([`layout`] and one file per area). Reads therefore pass the same read
//! policy, and every change goes through a mutation, hence `commands`, the one write path: the
//! console cannot do what the API would refuse, and no business rule lives here.
//!
//! # Layout
//! - [`session`]: cookies, sign-in and sign-out, the CSRF check of every form.
//! - [`api`]: runs an operation in-process as the signed-in actor.
//! - [`layout`]: the page frame, navigation per role, labels in Chinese and English;
//!   [`forms`]: what every form shares (CSRF, commandId, the refusal page).
//! - [`work`]: "my work", what waits for the person, due dates in working days;
//!   [`calendar`]: the same deadlines as a personal iCalendar feed.
//! - [`documents`]: documents, the review page, the forms that act on a document;
//!   [`lifecycle`]: the lifecycle picture on a document's timeline.
//! - [`filings`]: the filing queue (备案), by filing status and deadline.
//! - [`admin`]: accounts and API tokens (ADMIN).
//! - [`cleanup`]: cleanup campaigns as a board, with the forms of each step;
//!   [`items`]: the certification items and the legal office's forms.
//! - [`audit`]: the annual report with charts and drill-down, and integrity verification.
//! - [`exports`]: the office files (.xlsx catalogues and item list, the .docx opinion).
//! - [`catalogue`]: the public catalogue, without sign-in.
//!
//! Security headers (a strict Content-Security-Policy without inline script, no framing) are
//! set on every console response by [`security_headers`].

// Handlers return their refusals as ready responses (`Result<_, Response>`): the refusal is
// the rare path, and boxing every one would only add noise.
#![allow(clippy::result_large_err)]

pub mod admin;
pub mod api;
pub mod audit;
pub mod calendar;
pub mod catalogue;
pub mod cleanup;
pub mod documents;
pub mod exports;
pub mod filings;
pub mod forms;
pub mod items;
pub mod layout;
pub mod lifecycle;
pub mod session;
pub mod work;

use axum::Router;
use axum::extract::{Path, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::AppState;

/// The policy every console page is served under: scripts and styles only from the console's
/// own embedded files (no inline script or style, no eval), forms posting only to itself,
/// never framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console", get(|| async { Redirect::to("/console/work") }))
        .route("/console/", get(|| async { Redirect::to("/console/work") }))
        .route(
            "/console/sign-in",
            get(session::sign_in_page).post(session::sign_in),
        )
        .route("/console/sign-out", post(session::sign_out))
        .route("/console/lang/{lang}", get(session::choose_language))
        .route("/console/work", get(work::page))
        .route("/console/live", get(work::live))
        .route("/console/work/calendar", post(calendar::create))
        .route("/calendar/{file}", get(calendar::feed))
        .route("/console/documents", get(documents::index))
        .route(
            "/console/documents/new",
            get(documents::draft_form).post(documents::draft),
        )
        .route("/console/documents/{id}", get(documents::page))
        .route(
            "/console/documents/{id}/review",
            get(documents::review_page),
        )
        .route("/console/documents/{id}/timeline", get(documents::timeline))
        .route("/console/documents/{id}/act/{action}", post(documents::act))
        .route(
            "/console/admin/accounts",
            get(admin::accounts).post(admin::create_account),
        )
        .route(
            "/console/admin/accounts/{id}/disable",
            post(admin::disable_account),
        )
        .route(
            "/console/admin/tokens",
            get(admin::tokens).post(admin::create_token),
        )
        .route(
            "/console/admin/tokens/{id}/revoke",
            post(admin::revoke_token),
        )
        .route("/console/filings", get(filings::page))
        .route("/console/cleanups", get(cleanup::index))
        .route("/console/cleanups/launch", post(cleanup::launch))
        .route("/console/cleanups/{id}", get(cleanup::board))
        .route("/console/cleanups/{id}/act/{action}", post(cleanup::act))
        .route(
            "/console/cleanups/{id}/entries/{entry}",
            get(cleanup::entry),
        )
        .route("/console/certification-items", get(items::index))
        .route(
            "/console/certification-items/register",
            post(items::register),
        )
        .route("/console/certification-items/{id}", get(items::page))
        .route(
            "/console/certification-items/{id}/act/{action}",
            post(items::act),
        )
        .route("/console/report", get(audit::report))
        .route("/console/report/figure", get(audit::figure))
        .route("/console/integrity", get(audit::integrity))
        .route("/console/catalogue", get(catalogue::page))
        .route("/console/catalogue.xlsx", get(exports::catalogue))
        .route("/console/certification-items.xlsx", get(exports::items))
        .route(
            "/console/documents/{id}/opinion.docx",
            get(exports::opinion),
        )
        .route("/console/catalogue/{id}", get(catalogue::document))
        .route("/console/assets/{file}", get(asset))
        .layer(axum::middleware::from_fn(security_headers))
}

/// Adds the console's security headers to every response under `/console/`.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !headers.contains_key(header::CACHE_CONTROL) {
        // Pages show what a person may see: never kept by a shared cache.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// (name, content type, bytes) of the console's embedded files. htmx is vendored at a pinned
/// version (`assets/console/SHA256SUMS`, checked by a test), so nothing is fetched from a CDN.
pub const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "htmx.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../assets/console/htmx.min.js"),
    ),
    (
        "console.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../assets/console/console.js"),
    ),
    (
        "console.css",
        "text/css; charset=utf-8",
        include_bytes!("../../../assets/console/console.css"),
    ),
];

async fn asset(Path(file): Path<String>) -> Response {
    let Some((_, content_type, bytes)) = ASSETS.iter().find(|(name, ..)| *name == file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    (
        [
            (header::CONTENT_TYPE, *content_type),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        *bytes,
    )
        .into_response()
}
