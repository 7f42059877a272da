//! What every console form shares: the hidden fields (CSRF token and a fresh commandId, so a
//! resubmitted form is answered once), reading the posted fields, and the page that tells a
//! person their change was refused (with the API's code) and nothing was recorded.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde_json::{Value, json};

use super::api::{self, Failure};
use super::layout;
use super::session::Viewer;
use crate::http::AppState;

/// A fresh command id: the API answers a repeat of the same id once (a double submit).
pub fn command_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The hidden fields of every form that changes something.
pub fn hidden(viewer: &Viewer) -> Markup {
    html! {
        input type="hidden" name="csrf" value=(viewer.session.csrf);
        input type="hidden" name="commandId" value=(command_id());
    }
}

/// Form fields in order (repeated names kept).
pub type Fields = Vec<(String, String)>;

pub fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_default()
}

/// A field, or null when left empty.
pub fn optional(fields: &Fields, name: &str) -> Value {
    match field(fields, name).trim() {
        "" => Value::Null,
        v => json!(v),
    }
}

/// The answer to a refused form: the API's code and message, with the HTTP status it stands for.
pub fn refused(viewer: &Viewer, f: &Failure, back: &str) -> Response {
    let lang = viewer.lang;
    let body = html! {
        (layout::failure(f))
        p { (lang.t("未记录任何内容。", "Nothing was recorded.")) " "
            a href=(back) { (lang.t("返回", "Go back")) } }
    };
    let mut r = layout::page(viewer, lang.t("未能完成", "Not done"), body);
    *r.status_mut() = layout::status_of(f);
    r
}

/// Runs one form's mutation as the signed-in person: the CSRF check first, then the
/// operation (None: the form names no action this page knows, 404). On success the person is
/// sent to `next(answer)`; a refusal is shown with the API's code, and `back` to return to.
pub async fn perform(
    state: &AppState,
    viewer: &Viewer,
    fields: &Fields,
    mutation: Option<(impl AsRef<str>, Value)>,
    back: &str,
    next: impl FnOnce(&Value) -> String,
) -> Response {
    if let Err(r) = viewer.check_csrf(field(fields, "csrf")) {
        return r;
    }
    let Some((op, vars)) = mutation else {
        let f = Failure::new("BAD_USER_INPUT", "no such action");
        return (StatusCode::NOT_FOUND, refused(viewer, &f, back)).into_response();
    };
    match api::run(state, Some(&viewer.session.actor), op.as_ref(), vars).await {
        Ok(answer) => Redirect::to(&next(&answer)).into_response(),
        Err(f) => refused(viewer, &f, back),
    }
}
