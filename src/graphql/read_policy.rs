//! The read policy enforced on every field, from one place: an extension that, before any
//! field the READS table names (`query` for a root field, `Type.field` for a nested one)
//! resolves, checks that the caller's role is granted it. Resolvers then apply the scope
//! (which documents a drafter or an advisor sees), which needs the data itself.

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo,
};
use async_graphql::{
    PathSegment, QueryPathNode, QueryPathSegment, ServerError, ServerResult, Value,
};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use super::Session;
use super::error::{ApiError, gql};
use crate::authz::{READS, read_scope};

/// Installed on the schema by `build_schema`.
pub struct ReadPolicy;

impl ExtensionFactory for ReadPolicy {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ReadPolicyCheck)
    }
}

struct ReadPolicyCheck;

/// The READS row that governs a field, if any. Asked for every field of every answer, so the
/// table is indexed once by (parent type, field): root fields under "QueryRoot" and
/// "SubscriptionRoot", nested rows (`Type.field`) under their type.
fn rule_name(parent_type: &str, field: &str) -> Option<&'static str> {
    static INDEX: OnceLock<HashMap<(&'static str, &'static str), &'static str>> = OnceLock::new();
    let index = INDEX.get_or_init(|| {
        let mut index = HashMap::new();
        for rule in READS.iter().map(|r| r.query) {
            match rule.split_once('.') {
                Some((parent, name)) => {
                    index.insert((parent, name), rule);
                }
                None => {
                    index.insert(("QueryRoot", rule), rule);
                    index.insert(("SubscriptionRoot", rule), rule);
                }
            }
        }
        index
    });
    index.get(&(parent_type, field)).copied()
}

#[async_trait::async_trait]
impl Extension for ReadPolicyCheck {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if !info.is_for_introspection
            && let Some(rule) = rule_name(info.parent_type, info.name)
        {
            let refused = |e: async_graphql::Error| {
                let mut error = ServerError::new(e.message, None);
                error.extensions = e.extensions;
                error.path = path_of(info.path_node);
                error
            };
            let session = ctx.data::<Session>().map_err(refused)?;
            let actor = session.actor().map_err(refused)?;
            if read_scope(rule, actor.role).is_none() {
                return Err(refused(gql(ApiError::Forbidden(format!(
                    "{rule} is not allowed for role {}",
                    actor.role
                )))));
            }
        }
        next.run(ctx, info).await
    }
}

/// The response path of a field, as errors carry it.
fn path_of(node: &QueryPathNode<'_>) -> Vec<PathSegment> {
    let mut path: Vec<PathSegment> = std::iter::once(node)
        .chain(node.parents())
        .map(|n| match n.segment {
            QueryPathSegment::Name(name) => PathSegment::Field(name.to_owned()),
            QueryPathSegment::Index(i) => PathSegment::Index(i),
        })
        .collect();
    path.reverse();
    path
}
