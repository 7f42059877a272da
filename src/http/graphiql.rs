//! GraphiQL served from the binary: the page, our small script and stylesheet, and GraphiQL
//! and React vendored in `assets/graphiql/` (pinned versions, gzip-compressed, checked against
//! `SHA256SUMS` by a test), so that it works on a network that cannot reach a CDN.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

/// The page at `GET /graphql`.
pub const PAGE: &str = include_str!("../../assets/graphiql/graphiql.html");

/// (name, content type, gzip-compressed, bytes) of every file under `/graphiql/`.
pub const ASSETS: &[(&str, &str, bool, &[u8])] = &[
    (
        "graphiql.min.js",
        "text/javascript; charset=utf-8",
        true,
        include_bytes!("../../assets/graphiql/graphiql.min.js.gz"),
    ),
    (
        "graphiql.min.css",
        "text/css; charset=utf-8",
        true,
        include_bytes!("../../assets/graphiql/graphiql.min.css.gz"),
    ),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        true,
        include_bytes!("../../assets/graphiql/react.production.min.js.gz"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        true,
        include_bytes!("../../assets/graphiql/react-dom.production.min.js.gz"),
    ),
    (
        "normledger.js",
        "text/javascript; charset=utf-8",
        false,
        include_bytes!("../../assets/graphiql/normledger.js"),
    ),
    (
        "normledger.css",
        "text/css; charset=utf-8",
        false,
        include_bytes!("../../assets/graphiql/normledger.css"),
    ),
];

pub fn page() -> Response {
    Html(PAGE).into_response()
}

/// `GET /graphiql/{file}`: a vendored file, cached for a day (the versions are pinned).
pub async fn asset(Path(file): Path<String>) -> Response {
    let Some((_, content_type, gzipped, bytes)) =
        ASSETS.iter().find(|(name, ..)| *name == file.as_str())
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut response = (
        [
            (header::CONTENT_TYPE, *content_type),
            (header::CACHE_CONTROL, "public, max-age=86400"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        *bytes,
    )
        .into_response();
    if *gzipped {
        response.headers_mut().insert(
            header::CONTENT_ENCODING,
            header::HeaderValue::from_static("gzip"),
        );
    }
    response
}
