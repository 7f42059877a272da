//! Runs the console's GraphQL operations in-process, as the signed-in person (or as nobody,
//! for the public catalogue): the same schema, read policy, limits and write path as `POST
//! /graphql`, without the HTTP round trip. Operations are constants of the page that runs them;
//! what a person typed travels only in `variables`.

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Request, Variables};
use serde_json::Value;

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use crate::commands::Ledger;
use crate::domain::Actor;
use crate::graphql::{NormledgerSchema, Session};
use crate::http::AppState;

/// The console's operations, parsed once: they are constants of the pages (or built from
/// constant tables), so there are a few dozen, and a page need not parse its operation on
/// every request. Validation still runs on every request, against the schema it executes on.
fn parsed(operation: &str) -> Option<ExecutableDocument> {
    static PARSED: LazyLock<Mutex<HashMap<String, ExecutableDocument>>> =
        LazyLock::new(Default::default);
    // Far more than the console has: a bound, not a size.
    const MOST: usize = 512;
    let mut cache = PARSED.lock().ok()?;
    if let Some(doc) = cache.get(operation) {
        return Some(doc.clone());
    }
    // A malformed operation is left to the schema, which reports it the usual way.
    let doc = async_graphql::parser::parse_query(operation).ok()?;
    if cache.len() >= MOST {
        cache.clear();
    }
    cache.insert(operation.to_owned(), doc.clone());
    Some(doc)
}

/// A refusal or failure, as GraphQL reported it: its `extensions.code` and message.
#[derive(Debug, Clone)]
pub struct Failure {
    pub code: String,
    pub message: String,
}

impl Failure {
    pub fn new(code: &str, message: impl Into<String>) -> Failure {
        Failure {
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

/// What an operation runs against: the schema and the ledger (the server's, or the CLI's own
/// for its exports), and how long it may take.
pub struct Api<'a> {
    pub schema: &'a NormledgerSchema,
    pub ledger: &'a Arc<Ledger>,
    pub timeout: std::time::Duration,
}

impl<'a> Api<'a> {
    pub fn of(state: &'a AppState) -> Api<'a> {
        Api {
            schema: &state.schema,
            ledger: &state.ledger,
            timeout: state.settings.request_timeout,
        }
    }

    /// Runs `operation` with `variables` as `actor`; the `data` on success, the first error
    /// otherwise (a mutation writes all of its command or nothing, so one error is the answer).
    pub async fn run(
        &self,
        actor: Option<&Actor>,
        operation: &str,
        variables: Value,
    ) -> Result<Value, Failure> {
        self.run_with_file(actor, operation, variables, None).await
    }

    /// [`Api::run`] with a file where the GraphQL multipart convention puts one: `file` is
    /// (the variable's path, e.g. `variables.input.textFile`, and the file).
    pub async fn run_with_file(
        &self,
        actor: Option<&Actor>,
        operation: &str,
        variables: Value,
        file: Option<(&str, async_graphql::UploadValue)>,
    ) -> Result<Value, Failure> {
        let session = Session::new(
            self.ledger.clone(),
            actor.cloned(),
            None,
            Default::default(),
        );
        let mut request = Request::new(operation).variables(Variables::from_json(variables));
        if let Some(parsed) = parsed(operation) {
            request.set_parsed_query(parsed);
        }
        if let Some((path, upload)) = file {
            request.set_upload(path, upload);
        }
        let request = request.data(session);
        let Ok(mut response) =
            tokio::time::timeout(self.timeout, self.schema.execute(request)).await
        else {
            return Err(Failure::new(
                "TIMEOUT",
                "the request took too long; a change it held either committed whole or not at all",
            ));
        };
        crate::graphql::error::ensure_codes(&mut response);
        if let Some(error) = response.errors.first() {
            let code = error
                .extensions
                .as_ref()
                .and_then(|e| e.get("code"))
                .and_then(|c| match c {
                    async_graphql::Value::String(s) => Some(s.clone()),
                    async_graphql::Value::Enum(s) => Some(s.to_string()),
                    _ => None,
                })
                .unwrap_or_else(|| "INTERNAL".to_owned());
            return Err(Failure {
                code,
                message: error.message.clone(),
            });
        }
        response
            .data
            .into_json()
            .map_err(|e| Failure::new("INTERNAL", e.to_string()))
    }

    /// Every node of a connection, page after page: `operation` takes `$after` and answers
    /// `{ <field>: { pageInfo { hasNextPage endCursor } nodes { … } } }`.
    pub async fn all_nodes(
        &self,
        actor: Option<&Actor>,
        operation: &str,
        field: &str,
        mut variables: Value,
    ) -> Result<Vec<Value>, Failure> {
        let mut out = Vec::new();
        loop {
            let data = self.run(actor, operation, variables.clone()).await?;
            let connection = data.get(field).cloned().unwrap_or_default();
            out.extend(list(&connection, "nodes").iter().cloned());
            let more = connection
                .pointer("/pageInfo/hasNextPage")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let cursor = connection.pointer("/pageInfo/endCursor").cloned();
            match (more, cursor) {
                (true, Some(c)) if !c.is_null() => variables["after"] = c,
                _ => return Ok(out),
            }
        }
    }
}

/// Runs `operation` as `actor` on the server's schema (see [`Api::run`]).
pub async fn run(
    state: &AppState,
    actor: Option<&Actor>,
    operation: &str,
    variables: Value,
) -> Result<Value, Failure> {
    Api::of(state).run(actor, operation, variables).await
}

/// `value[key]` as text ("" when absent or null).
pub fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// `value[key]` as a list (empty when absent or null).
pub fn list<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value
        .get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// A connection's nodes (`value[key].nodes`).
pub fn nodes<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value.get(key).map(|c| list(c, "nodes")).unwrap_or_default()
}
