//! ADMIN's pages: accounts (create, disable) and API tokens (create, revoke). Nothing is ever
//! deleted: who held access, who granted it and who withdrew it stays on record.

use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;

use super::api::Failure;
use super::layout::{self, Lang};
use super::session::Viewer;
use crate::domain::Role;
use crate::http::AppState;
use crate::store::accounts::{self, AccountError, NewAccount};
use crate::store::tokens::{self, GrantError};

/// Only ADMIN passes; anyone else gets FORBIDDEN.
fn admin_only(viewer: &Viewer) -> Result<(), Response> {
    if viewer.session.actor.role == Role::Admin {
        return Ok(());
    }
    let f = Failure::new(
        "FORBIDDEN",
        viewer
            .lang
            .t("仅系统管理员可用。", "For administrators only."),
    );
    Err(layout::failure_page(viewer, &f))
}

/// Who did it, as recorded in `created_by` / `disabled_by`.
fn by(viewer: &Viewer) -> String {
    format!(
        "{} ({})",
        viewer.session.actor.name, viewer.session.actor.id
    )
}

fn role_options(lang: Lang) -> Markup {
    html! {
        @for r in Role::ALL {
            option value=(r.as_str()) { (layout::role_label(lang, r.as_str())) " (" (r.as_str()) ")" }
        }
    }
}

/// `GET /console/admin/accounts`.
pub async fn accounts(State(state): State<AppState>, viewer: Viewer) -> Response {
    accounts_page(&state, &viewer, None, StatusCode::OK).await
}

async fn accounts_page(
    state: &AppState,
    viewer: &Viewer,
    notice: Option<Markup>,
    status: StatusCode,
) -> Response {
    if let Err(r) = admin_only(viewer) {
        return r;
    }
    let lang = viewer.lang;
    let t = |zh, en| lang.t(zh, en);
    let list = match accounts::list(state.ledger.pool()).await {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(error = %e, "listing accounts failed");
            return layout::unavailable(lang);
        }
    };
    let body = html! {
        @if let Some(n) = notice { (n) }
        table {
            thead { tr {
                th scope="col" { (t("账号", "Account")) }
                th scope="col" { (t("姓名", "Name")) }
                th scope="col" { (t("角色", "Role")) }
                th scope="col" { (t("代表的机关", "Acts for")) }
                th scope="col" { (t("创建", "Created")) }
                th scope="col" { (t("状态", "State")) }
            } }
            tbody { @for a in &list { tr {
                td { code { (a.name) } }
                td { (a.display_name) }
                td { (layout::role_label(lang, &a.role)) }
                td { (a.bodies.join("、")) }
                td { (layout::local_time(a.created_at)) br; small { (a.created_by) } }
                td {
                    @if let Some(at) = a.disabled_at {
                        (t("已停用", "Disabled")) " " (layout::local_time(at))
                        @if let Some(who) = &a.disabled_by { br; small { (who) } }
                    } @else {
                        form.inline method="post" action=(format!("/console/admin/accounts/{}/disable", a.id)) {
                            input type="hidden" name="csrf" value=(viewer.session.csrf);
                            button type="submit" { (t("停用", "Disable")) }
                        }
                    }
                }
            } } }
        }
        form.card method="post" action="/console/admin/accounts" {
            h2 { (t("新建账号", "New account")) }
            input type="hidden" name="csrf" value=(viewer.session.csrf);
            label for="name" { (t("登录名（字母、数字、. - _）", "Sign-in name (letters, digits, . - _)")) }
            input #name name="name" required maxlength="64" autocomplete="off";
            label for="display_name" { (t("姓名（事件中显示）", "Name (shown in events)")) }
            input #display_name name="display_name" required maxlength="64";
            label for="password" { (t("初始密码（至少 10 个字符）", "Initial password (at least 10 characters)")) }
            input #password name="password" type="password" required minlength="10" autocomplete="new-password";
            label for="role" { (t("角色", "Role")) }
            select #role name="role" { (role_options(lang)) }
            label for="bodies" { (t("代表的机关（编码或备案机关名称，逗号分隔）", "Acts for (body codes or filing authorities, comma-separated)")) }
            input #bodies name="bodies";
            button type="submit" { (t("创建", "Create")) }
        }
    };
    let mut r = layout::page(viewer, t("账号", "Accounts"), body);
    *r.status_mut() = status;
    r
}

#[derive(Deserialize)]
pub struct AccountForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    bodies: String,
}

fn split_bodies(bodies: &str) -> Vec<String> {
    bodies
        .split([',', '，', '、'])
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .map(str::to_owned)
        .collect()
}

fn notice(code: &str, message: String) -> Markup {
    layout::failure(&Failure {
        code: code.to_owned(),
        message,
    })
}

/// `POST /console/admin/accounts`.
pub async fn create_account(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<AccountForm>,
) -> Response {
    if let Err(r) = admin_only(&viewer).and_then(|()| viewer.check_csrf(&form.csrf)) {
        return r;
    }
    let role: Role = match form.role.parse() {
        Ok(r) => r,
        Err(e) => {
            return accounts_page(
                &state,
                &viewer,
                Some(notice("BAD_USER_INPUT", e)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let account = NewAccount {
        name: form.name.trim().to_owned(),
        display_name: form.display_name,
        password: form.password,
        role,
        bodies: split_bodies(&form.bodies),
    };
    match accounts::create(state.ledger.pool(), account, &by(&viewer)).await {
        Ok(_) => Redirect::to("/console/admin/accounts").into_response(),
        Err(AccountError::Database(e) | AccountError::Grant(GrantError::Database(e))) => {
            tracing::warn!(error = %e, "creating an account failed");
            layout::unavailable(viewer.lang)
        }
        Err(e) => {
            accounts_page(
                &state,
                &viewer,
                Some(notice("BAD_USER_INPUT", e.to_string())),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

/// `POST /console/admin/accounts/{id}/disable`: the account's sessions end at once.
pub async fn disable_account(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    if let Err(r) = admin_only(&viewer).and_then(|()| viewer.check_csrf(&form.csrf)) {
        return r;
    }
    match accounts::disable(state.ledger.pool(), id, &by(&viewer)).await {
        Ok(_) => {
            // This server forgets at once; the others when the change is announced.
            state.ledger.access().forget_all();
            Redirect::to("/console/admin/accounts").into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, "disabling an account failed");
            layout::unavailable(viewer.lang)
        }
    }
}

/// `GET /console/admin/tokens`.
pub async fn tokens(State(state): State<AppState>, viewer: Viewer) -> Response {
    tokens_page(&state, &viewer, None, StatusCode::OK).await
}

async fn tokens_page(
    state: &AppState,
    viewer: &Viewer,
    notice: Option<Markup>,
    status: StatusCode,
) -> Response {
    if let Err(r) = admin_only(viewer) {
        return r;
    }
    let lang = viewer.lang;
    let t = |zh, en| lang.t(zh, en);
    let list = match tokens::list(state.ledger.pool()).await {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(error = %e, "listing tokens failed");
            return layout::unavailable(lang);
        }
    };
    let now = chrono::Utc::now();
    let body = html! {
        @if let Some(n) = notice { (n) }
        table {
            thead { tr {
                th scope="col" { (t("名称", "Name")) }
                th scope="col" { (t("角色", "Role")) }
                th scope="col" { (t("代表的机关", "Acts for")) }
                th scope="col" { (t("最近使用", "Last used")) }
                th scope="col" { (t("状态", "State")) }
            } }
            tbody { @for tk in &list { tr {
                td { (tk.name) br; small { code { (tk.id) } } }
                td { (layout::role_label(lang, &tk.role)) }
                td { (tk.bodies.join("、")) }
                td { @if let Some(u) = tk.last_used_at { (layout::local_time(u)) } @else { "—" } }
                td {
                    @if let Some(r) = tk.revoked_at { (t("已撤销", "Revoked")) " " (layout::local_time(r)) }
                    @else if tk.expires_at.is_some_and(|e| e <= now) { (t("已过期", "Expired")) }
                    @else {
                        form.inline method="post" action=(format!("/console/admin/tokens/{}/revoke", tk.id)) {
                            input type="hidden" name="csrf" value=(viewer.session.csrf);
                            button type="submit" { (t("撤销", "Revoke")) }
                        }
                    }
                }
            } } }
        }
        form.card method="post" action="/console/admin/tokens" {
            h2 { (t("新建令牌", "New token")) }
            input type="hidden" name="csrf" value=(viewer.session.csrf);
            label for="name" { (t("名称（持有人或系统）", "Name (holder or system)")) }
            input #name name="name" required maxlength="100";
            label for="role" { (t("角色", "Role")) }
            select #role name="role" { (role_options(lang)) }
            label for="bodies" { (t("代表的机关（逗号分隔）", "Acts for (comma-separated)")) }
            input #bodies name="bodies";
            label for="days" { (t("有效天数（留空为长期）", "Valid for days (empty: no expiry)")) }
            input #days name="days" type="number" min="1" max="3650";
            button type="submit" { (t("创建", "Create")) }
        }
    };
    let mut r = layout::page(viewer, t("API 令牌", "API tokens"), body);
    *r.status_mut() = status;
    r
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    bodies: String,
    #[serde(default)]
    days: String,
}

/// `POST /console/admin/tokens`: the secret is shown once, on the answer to this form.
pub async fn create_token(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<TokenForm>,
) -> Response {
    if let Err(r) = admin_only(&viewer).and_then(|()| viewer.check_csrf(&form.csrf)) {
        return r;
    }
    let lang = viewer.lang;
    let bad = |m: String| notice("BAD_USER_INPUT", m);
    let role: Role = match form.role.parse() {
        Ok(r) => r,
        Err(e) => {
            return tokens_page(
                &state,
                &viewer,
                Some(bad(e)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        let m = lang
            .t(
                "名称须为 1–100 个字符。",
                "The name must be 1–100 characters.",
            )
            .to_owned();
        return tokens_page(
            &state,
            &viewer,
            Some(bad(m)),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let days = match form.days.trim() {
        "" => None,
        d => match d.parse::<i64>() {
            Ok(n) if (1..=3650).contains(&n) => Some(n),
            _ => {
                let m = lang
                    .t("有效天数须为 1–3650。", "Days must be 1–3650.")
                    .to_owned();
                return tokens_page(
                    &state,
                    &viewer,
                    Some(bad(m)),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            }
        },
    };
    let bodies = split_bodies(&form.bodies);
    let pool = state.ledger.pool();
    match tokens::check_grant(pool, role, &bodies).await {
        Ok(()) => {}
        Err(GrantError::Database(e)) => {
            tracing::warn!(error = %e, "checking a grant failed");
            return layout::unavailable(lang);
        }
        Err(e) => {
            return tokens_page(
                &state,
                &viewer,
                Some(bad(e.to_string())),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    }
    let expires = days.map(|d| chrono::Utc::now() + chrono::Duration::days(d));
    match tokens::grant(pool, name, role, &bodies, expires, Some(&by(&viewer))).await {
        Ok((_, secret)) => {
            let shown = html! {
                div.notice role="status" {
                    p { (lang.t("令牌已创建。密码只显示这一次，请立即交给持有人：", "Token created. The secret is shown this once; hand it to its holder now:")) }
                    p { code.secret { (secret) } }
                }
            };
            tokens_page(&state, &viewer, Some(shown), StatusCode::OK).await
        }
        Err(e) => {
            tracing::warn!(error = %e, "creating a token failed");
            layout::unavailable(lang)
        }
    }
}

/// `POST /console/admin/tokens/{id}/revoke`.
pub async fn revoke_token(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    if let Err(r) = admin_only(&viewer).and_then(|()| viewer.check_csrf(&form.csrf)) {
        return r;
    }
    match tokens::revoke(state.ledger.pool(), id).await {
        Ok(_) => {
            state.ledger.access().forget_all();
            Redirect::to("/console/admin/tokens").into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, "revoking a token failed");
            layout::unavailable(viewer.lang)
        }
    }
}
