//! `GET /documents/{id}/attachments/{sha256}`: a file of a document's submission package, for
//! whoever may see the document's working texts (the same read policy as GraphQL), with the
//! bearer token as for `/graphql`. The bytes come from the file's event in the log.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{AppState, bearer};
use crate::authz::{may_see_document, may_see_working_texts, read_scope};
use crate::projection::queries;

fn refuse(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({"errors": [{"message": message, "extensions": {"code": code}}]});
    (status, axum::Json(body)).into_response()
}

pub async fn download(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, sha256)): Path<(String, String)>,
) -> Response {
    let pool = state.ledger.pool();
    let actor = match bearer(&headers) {
        Some(secret) => state.ledger.access().token(secret).await.ok().flatten(),
        None => None,
    };
    let Some(actor) = actor else {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "a valid bearer token is required",
        );
    };
    let not_found = || refuse(StatusCode::NOT_FOUND, "NOT_FOUND", "no such attachment");
    let Ok(id) = uuid::Uuid::parse_str(&id) else {
        return not_found();
    };
    let Some(scope) = read_scope("Document.texts", actor.role) else {
        return refuse(
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            "attachments are not for this role",
        );
    };
    let row = match queries::document(pool, id, None).await {
        Ok(Some(row)) => row,
        Ok(None) => return not_found(),
        Err(e) => {
            tracing::warn!(error = %e, "attachment lookup failed");
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "UNAVAILABLE",
                "retry shortly",
            );
        }
    };
    let body = row
        .state
        .draft
        .as_ref()
        .map_or("", |d| d.body_code.as_str());
    let status = row.state.status.as_str();
    // A document the caller may not see does not exist for them.
    if !may_see_document(scope, &actor.bodies, body, status) {
        return not_found();
    }
    if !may_see_working_texts(scope, &actor.bodies, body, status) {
        return refuse(
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            "the submission package is for those who see the document's working texts",
        );
    }
    let Some(meta) = row.state.attachments.iter().find(|a| a.sha256 == sha256) else {
        return not_found();
    };
    let content = match queries::attachment_content(pool, id, &sha256).await {
        Ok(Some(c)) => c,
        Ok(None) => return not_found(),
        Err(e) => {
            tracing::warn!(error = %e, "attachment read failed");
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "UNAVAILABLE",
                "retry shortly",
            );
        }
    };
    use base64::Engine;
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(content) else {
        return refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL",
            "the stored file does not decode",
        );
    };
    // RFC 5987: the file's own (Chinese) name, percent-encoded.
    let encoded: String = meta
        .name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, meta.content_type.clone()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename*=UTF-8''{encoded}"),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        bytes,
    )
        .into_response()
}
