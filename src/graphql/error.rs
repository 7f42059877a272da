//! The one place where failures become GraphQL errors with `extensions.code`.
//!
//! | code | when | retry? |
//! |---|---|---|
//! | `BAD_USER_INPUT` | malformed input; `extensions.field` names it | no |
//! | `UNAUTHENTICATED` | no, unknown, revoked or expired token | no |
//! | `FORBIDDEN` | the role or the drafter's bodies do not allow it | no |
//! | `NOT_FOUND` | the document or body does not exist | no |
//! | `BUSINESS_RULE` | a domain rule refused it; `extensions.rule` names the rule | no |
//! | `CONFLICT` | still conflicting after the server's own retries | yes |
//! | `UNAVAILABLE` | the database could not be reached in time | yes |
//! | `INTERNAL` | a bug or an unexpected failure; details are logged, never shown | no |
//! | `PERSISTED_QUERY_NOT_FOUND` | a persisted query's hash this server does not hold | resend with the query |

use async_graphql::ErrorExtensions;

use crate::commands::CommandError;
use crate::domain::DomainError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{field}: {reason}")]
    BadInput { field: String, reason: String },
    #[error("a valid bearer token is required")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Rule(DomainError),
    #[error("{0}")]
    Conflict(String),
    #[error("the database is unavailable; retry shortly")]
    Unavailable,
    #[error("internal error")]
    Internal,
}

impl ApiError {
    pub fn bad_input(field: &str, reason: impl Into<String>) -> Self {
        ApiError::BadInput {
            field: field.to_owned(),
            reason: reason.into(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadInput { .. } => "BAD_USER_INPUT",
            ApiError::Unauthenticated => "UNAUTHENTICATED",
            ApiError::Forbidden(_) => "FORBIDDEN",
            ApiError::NotFound(_) => "NOT_FOUND",
            ApiError::Rule(_) => "BUSINESS_RULE",
            ApiError::Conflict(_) => "CONFLICT",
            ApiError::Unavailable => "UNAVAILABLE",
            ApiError::Internal => "INTERNAL",
        }
    }
}

impl ApiError {
    /// Malformed input becomes BAD_USER_INPUT naming the field; a broken rule BUSINESS_RULE.
    pub fn from_domain(e: DomainError) -> Self {
        match e {
            DomainError::InvalidInput { field, reason } => ApiError::bad_input(field, reason),
            e @ DomainError::InvalidDocumentNumber(_) => {
                ApiError::bad_input("number", e.to_string())
            }
            e => ApiError::Rule(e),
        }
    }
}

impl From<CommandError> for ApiError {
    fn from(e: CommandError) -> Self {
        match e {
            CommandError::Forbidden(m) => ApiError::Forbidden(m),
            CommandError::NotFound(m) => ApiError::NotFound(m),
            CommandError::InputLimit { field, reason } => ApiError::BadInput { field, reason },
            CommandError::Rejected(e) => ApiError::from_domain(e),
            e @ CommandError::Conflict(_) => ApiError::Conflict(e.to_string()),
            CommandError::Unavailable(detail) => {
                tracing::warn!(%detail, "database unavailable");
                ApiError::Unavailable
            }
            CommandError::Internal(detail) => {
                tracing::error!(%detail, "command failed");
                ApiError::Internal
            }
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Database(e) => CommandError::from(e).into(),
            StoreError::Decode(detail) => {
                tracing::error!(%detail, "stored data does not decode");
                ApiError::Internal
            }
            poison @ StoreError::Poison { .. } => {
                tracing::error!(%poison, "an event cannot be applied");
                ApiError::Internal
            }
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        CommandError::from(e).into()
    }
}

impl ErrorExtensions for ApiError {
    fn extend(&self) -> async_graphql::Error {
        async_graphql::Error::new(self.to_string()).extend_with(|_, ext| {
            ext.set("code", self.code());
            match self {
                ApiError::BadInput { field, .. } => ext.set("field", field.as_str()),
                ApiError::Rule(rule) => ext.set("rule", rule.rule()),
                ApiError::Conflict(_) | ApiError::Unavailable => ext.set("retryable", true),
                _ => {}
            }
        })
    }
}

/// Converts any failure into a coded GraphQL error: `.map_err(gql)?`.
pub fn gql(e: impl Into<ApiError>) -> async_graphql::Error {
    e.into().extend()
}

/// async-graphql's own parse and validation errors carry no code: they are all the client's.
pub fn ensure_codes(response: &mut async_graphql::Response) {
    for error in &mut response.errors {
        let ext = error.extensions.get_or_insert_with(Default::default);
        // Apollo's convention for a hash the server does not hold: the client resends the
        // query with it.
        if ext.get("code").is_none() && error.message == "PersistedQueryNotFound" {
            ext.set("code", "PERSISTED_QUERY_NOT_FOUND");
        }
        if ext.get("code").is_none() {
            // A parse or validation error of async-graphql: name the field or argument it is
            // about, as the server's own input checks do.
            ext.set("code", "BAD_USER_INPUT");
            if ext.get("field").is_none()
                && let Some(field) = field_of(&error.message)
            {
                ext.set("field", field);
            }
        }
        error.message = shorten(std::mem::take(&mut error.message));
    }
}

/// The field, argument or variable a validation message of async-graphql is about:
/// `Unknown field "x"`, `argument "x"` (unknown, missing or invalid), `Variable "$x"` or
/// `Variable x …`.
fn field_of(message: &str) -> Option<String> {
    [
        "argument \"",
        "Unknown field \"",
        "Variable \"$",
        "field \"",
    ]
    .iter()
    .find_map(|prefix| {
        let rest = &message[message.find(prefix)? + prefix.len()..];
        let name = &rest[..rest.find('"')?];
        (!name.is_empty() && name.len() <= 100).then(|| name.to_owned())
    })
    .or_else(|| {
        // `Variable d is not defined.`
        let rest = message.strip_prefix("Variable ")?;
        let name: String = rest
            .trim_start_matches(['$', '"'])
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        (!name.is_empty()).then_some(name)
    })
}

/// Longest error message sent, in characters: a parse error quotes the client's query line,
/// and a 30 KB query must not come back as a 48 KB answer.
pub const MAX_MESSAGE_CHARS: usize = 300;

/// The message cut to [`MAX_MESSAGE_CHARS`], saying how much was left out.
fn shorten(message: String) -> String {
    let total = message.chars().count();
    if total <= MAX_MESSAGE_CHARS {
        return message;
    }
    let kept: String = message.chars().take(MAX_MESSAGE_CHARS).collect();
    format!(
        "{kept}… ({} more characters left out)",
        total - MAX_MESSAGE_CHARS
    )
}

pub type ApiResult<T> = Result<T, async_graphql::Error>;
