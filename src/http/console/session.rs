//! Who is at the console: the session cookie (HttpOnly, SameSite=Strict, Secure over TLS),
//! sign-in by name and password (or by exchanging an API token), sign-out, and the CSRF check
//! every form passes.
//!
//! Two layers stop a forged form: the cookie is SameSite=Strict (a browser does not send it
//! with another site's request), and every form carries the session's anti-forgery token,
//! compared here before anything runs. The sign-in form, which has no session yet, carries a
//! one-off value that must match a cookie set with the form (double submit).

use axum::extract::{Form, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{self, Lang};
use crate::http::AppState;
use crate::store::accounts::{self, ConsoleSession, SessionLimits, SignInError, Subject};

pub const SESSION_COOKIE: &str = "nl_session";
const SIGN_IN_COOKIE: &str = "nl_signin";
const LANG_COOKIE: &str = "nl_lang";

/// The person at the console, signed in (a handler that takes it answers only them; anyone
/// else is sent to the sign-in page).
pub struct Viewer {
    pub session: ConsoleSession,
    pub lang: Lang,
}

/// Whoever asks, signed in or not (the public catalogue).
pub struct Visitor {
    pub session: Option<ConsoleSession>,
    pub lang: Lang,
}

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn lang_of(headers: &HeaderMap) -> Lang {
    match cookie(headers, LANG_COOKIE) {
        Some("en") => Lang::En,
        _ => Lang::Zh,
    }
}

async fn resolve(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<ConsoleSession>, Response> {
    let Some(secret) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    state.ledger.access().session(secret).await.map_err(|e| {
        tracing::warn!(error = %e, "session lookup failed");
        layout::unavailable(lang_of(headers))
    })
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let lang = lang_of(&parts.headers);
        match resolve(state, &parts.headers).await? {
            Some(session) => Ok(Viewer { session, lang }),
            None => {
                // Back to where the person was going, once signed in (a path of ours only).
                let next = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .filter(|p| p.starts_with("/console/"))
                    .unwrap_or("/console/work");
                let to = format!("/console/sign-in?next={}", encode(next));
                if parts.headers.contains_key("hx-request") {
                    // htmx follows this header with a whole-page navigation.
                    let mut r = StatusCode::UNAUTHORIZED.into_response();
                    if let Ok(v) = HeaderValue::from_str(&to) {
                        r.headers_mut().insert("hx-redirect", v);
                    }
                    return Err(r);
                }
                Err(Redirect::to(&to).into_response())
            }
        }
    }
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        Ok(Visitor {
            session: resolve(state, &parts.headers).await?,
            lang: lang_of(&parts.headers),
        })
    }
}

/// Percent-encodes a query value.
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Compares two secrets in time independent of where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl Viewer {
    /// Refuses a form whose anti-forgery token is not this session's (403, nothing runs).
    pub fn check_csrf(&self, submitted: &str) -> Result<(), Response> {
        if same(submitted, &self.session.csrf) {
            Ok(())
        } else {
            Err(forged(self.lang))
        }
    }
}

fn forged(lang: Lang) -> Response {
    let body = html! {
        p.error role="alert" {
            strong { "CSRF_REFUSED" } " "
            (lang.t("表单已过期或并非来自本系统，未执行任何操作。请重新打开页面后再提交。",
                    "The form has expired or did not come from this console; nothing was done. Reload the page and submit again."))
        }
    };
    (
        StatusCode::FORBIDDEN,
        layout::bare(lang, lang.t("请求被拒绝", "Request refused"), body),
    )
        .into_response()
}

fn secure(state: &AppState, headers: &HeaderMap) -> bool {
    state.settings.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"))
}

fn set_cookie(name: &str, value: &str, max_age: Option<i64>, secure: bool) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[derive(Deserialize, Default)]
pub struct NextQuery {
    next: Option<String>,
}

/// Where to go after signing in: a console path, nothing else (no open redirect).
fn next_path(next: Option<&str>) -> String {
    next.filter(|n| n.starts_with("/console/") && !n.starts_with("//") && !n.contains('\\'))
        .unwrap_or("/console/work")
        .to_owned()
}

/// `GET /console/sign-in`.
pub async fn sign_in_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Response {
    sign_in_form(&state, &headers, q.next.as_deref(), None, StatusCode::OK)
}

fn sign_in_form(
    state: &AppState,
    headers: &HeaderMap,
    next: Option<&str>,
    problem: Option<Markup>,
    status: StatusCode,
) -> Response {
    let lang = lang_of(headers);
    let nonce = crate::store::tokens::random_secret("");
    let next = next_path(next);
    let t = |zh, en| lang.t(zh, en);
    let body = html! {
        @if let Some(p) = problem { (p) }
        form.card method="post" action="/console/sign-in" {
            input type="hidden" name="nonce" value=(nonce);
            input type="hidden" name="next" value=(next);
            label for="name" { (t("账号", "Account")) }
            input #name name="name" autocomplete="username" required autofocus;
            label for="password" { (t("密码", "Password")) }
            input #password name="password" type="password" autocomplete="current-password" required;
            button type="submit" { (t("登录", "Sign in")) }
        }
        details.card {
            summary { (t("使用 API 令牌登录（系统集成人员）", "Sign in with an API token (integrators)")) }
            form method="post" action="/console/sign-in" {
                input type="hidden" name="nonce" value=(nonce);
                input type="hidden" name="next" value=(next);
                label for="token" { (t("令牌", "Token")) }
                input #token name="token" type="password" autocomplete="off";
                button type="submit" { (t("用令牌登录", "Sign in with the token")) }
            }
        }
        p { a href="/console/catalogue" { (t("公开目录（无需登录）", "Public catalogue (no sign-in)")) } }
    };
    let mut response = (status, layout::bare(lang, t("登录", "Sign in"), body)).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SIGN_IN_COOKIE, &nonce, Some(600), secure(state, headers)),
    );
    response
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    nonce: String,
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    token: String,
}

/// `POST /console/sign-in`: by name and password, or by a token; starts a session.
pub async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    let lang = lang_of(&headers);
    let t = |zh, en| lang.t(zh, en);
    let refuse = |code: &str, message: String, status| {
        let p = html! { p.error role="alert" { strong { (code) } " " (message) } };
        sign_in_form(&state, &headers, form.next.as_deref(), Some(p), status)
    };
    if !cookie(&headers, SIGN_IN_COOKIE).is_some_and(|c| same(c, &form.nonce)) {
        return forged(lang);
    }
    let pool = state.ledger.pool();
    let subject = if form.token.trim().is_empty() {
        match accounts::sign_in(pool, &form.name, &form.password).await {
            Ok(id) => Subject::Account(id),
            Err(SignInError::Refused) => {
                return refuse(
                    "UNAUTHENTICATED",
                    t(
                        "账号或密码错误，或账号已停用。",
                        "Wrong name or password, or the account is disabled.",
                    )
                    .to_owned(),
                    StatusCode::UNAUTHORIZED,
                );
            }
            Err(SignInError::Locked { until }) => {
                let until = layout::local_time(until);
                return refuse(
                    "RATE_LIMITED",
                    match lang {
                        Lang::Zh => format!("登录失败次数过多，请于 {until} 后再试。"),
                        Lang::En => format!("Too many failed sign-ins; try again after {until}."),
                    },
                    StatusCode::TOO_MANY_REQUESTS,
                );
            }
            Err(SignInError::Database(e)) => {
                tracing::warn!(error = %e, "sign-in failed");
                return layout::unavailable(lang);
            }
        }
    } else {
        match accounts::live_token(pool, form.token.trim()).await {
            Ok(Some(id)) => Subject::Token(id),
            Ok(None) => {
                return refuse(
                    "UNAUTHENTICATED",
                    t(
                        "令牌无效、已撤销或已过期。",
                        "The token is unknown, revoked or expired.",
                    )
                    .to_owned(),
                    StatusCode::UNAUTHORIZED,
                );
            }
            Err(e) => {
                tracing::warn!(error = %e, "token sign-in failed");
                return layout::unavailable(lang);
            }
        }
    };
    let limits = SessionLimits::default();
    let secret = match accounts::start_session(pool, subject, limits).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "session start failed");
            return layout::unavailable(lang);
        }
    };
    let secure = secure(&state, &headers);
    let mut response = Redirect::to(&next_path(form.next.as_deref())).into_response();
    let h = response.headers_mut();
    h.append(
        header::SET_COOKIE,
        set_cookie(
            SESSION_COOKIE,
            &secret,
            Some(limits.lifetime.num_seconds()),
            secure,
        ),
    );
    h.append(
        header::SET_COOKIE,
        set_cookie(SIGN_IN_COOKIE, "", Some(0), secure),
    );
    response
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

/// `POST /console/sign-out`: ends the session on the server, then clears the cookie.
pub async fn sign_out(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(refused) = viewer.check_csrf(&form.csrf) {
        return refused;
    }
    if let Some(secret) = cookie(&headers, SESSION_COOKIE)
        && let Err(e) = accounts::end_session(state.ledger.pool(), secret).await
    {
        tracing::warn!(error = %e, "sign-out failed");
        return layout::unavailable(viewer.lang);
    }
    // This server forgets at once; the others when the change is announced.
    state.ledger.access().forget_all();
    let mut response = Redirect::to("/console/sign-in").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", Some(0), secure(&state, &headers)),
    );
    response
}

/// `GET /console/lang/{zh|en}`: remembers the language (a preference, not a change to the
/// ledger) and goes back to the page.
pub async fn choose_language(Path(lang): Path<String>, Query(q): Query<NextQuery>) -> Response {
    let value = if lang == "en" { "en" } else { "zh" };
    let mut response = Redirect::to(&next_path(q.next.as_deref())).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&format!(
            "{LANG_COOKIE}={value}; Path=/; SameSite=Strict; Max-Age=31536000"
        ))
        .unwrap_or_else(|_| HeaderValue::from_static("")),
    );
    response
}
