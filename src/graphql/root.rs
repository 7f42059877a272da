//! The roots of the schema, assembled from each resource's queries and mutations, and the
//! `commandId` argument every mutation takes, declared here once.

use std::borrow::Cow;

use async_graphql::registry::{MetaInputValue, MetaType, Registry};
use async_graphql::resolver_utils::{ContainerType, resolve_container};
use async_graphql::{
    Context, ContextSelectionSet, ID, InputType, ObjectType, OutputType, Positioned, ServerResult,
    Value, parser::types::Field,
};

use crate::graphql::audit::{AuditTrailQueries, IntegrityQueries};
use crate::graphql::certification::{ItemMutations, ItemQueries};
use crate::graphql::cleanup::{CleanupMutations, CleanupQueries};
use crate::graphql::documents::{
    CitationQueries, DeadlineQueries, DocumentMutations, DocumentQueries, SearchQueries,
};
use crate::graphql::issuing_bodies::{BodyMutations, BodyQueries};
use crate::graphql::public::{PublicMutations, PublicQueries};
use crate::graphql::report::ReportQueries;

/// All queries.
#[derive(async_graphql::MergedObject, Default)]
pub struct QueryRoot(
    BodyQueries,
    DocumentQueries,
    AuditTrailQueries,
    ItemQueries,
    DeadlineQueries,
    IntegrityQueries,
    CleanupQueries,
    ReportQueries,
    SearchQueries,
    CitationQueries,
    PublicQueries,
);

/// All mutations.
// (The doc line above is the schema's description of MutationRoot; this struct holds every
// resource's mutations before `commandId` is added to them.)
#[derive(async_graphql::MergedObject, Default)]
#[graphql(name = "MutationRoot")]
pub struct Mutations(
    BodyMutations,
    DocumentMutations,
    ItemMutations,
    CleanupMutations,
    PublicMutations,
);

/// All mutations, each with the `commandId` argument (`COMMAND_ID`). Resolvers do not
/// declare it: `execute::execute` reads it from the field's arguments.
#[derive(Default)]
pub struct MutationRoot(Mutations);

/// The argument every mutation takes.
pub const COMMAND_ID: &str = "commandId";

const COMMAND_ID_DOC: &str = "Makes a retry safe: the same id with the same input returns the \
    first result and writes nothing; with other input it is refused (COMMAND_ID_REUSED).";

impl OutputType for MutationRoot {
    fn type_name() -> Cow<'static, str> {
        Mutations::type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        let qualified = Mutations::create_type_info(registry);
        let id_type = <Option<ID> as InputType>::create_type_info(registry);
        let name = Mutations::type_name();
        if let Some(MetaType::Object { fields, .. }) = registry.types.get_mut(name.as_ref()) {
            for field in fields.values_mut() {
                // First, as in every mutation's signature before it was declared here.
                field.args.shift_insert(
                    0,
                    COMMAND_ID.to_owned(),
                    MetaInputValue {
                        name: COMMAND_ID.to_owned(),
                        description: Some(COMMAND_ID_DOC.to_owned()),
                        ty: id_type.clone(),
                        deprecation: Default::default(),
                        default_value: None,
                        visible: None,
                        inaccessible: false,
                        tags: vec![],
                        is_secret: false,
                        directive_invocations: vec![],
                    },
                );
            }
        }
        qualified
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        _field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        resolve_container(ctx, self).await
    }
}

impl ContainerType for MutationRoot {
    async fn resolve_field(&self, ctx: &Context<'_>) -> ServerResult<Option<Value>> {
        self.0.resolve_field(ctx).await
    }

    async fn find_entity(&self, ctx: &Context<'_>, params: &Value) -> ServerResult<Option<Value>> {
        self.0.find_entity(ctx, params).await
    }
}

impl ObjectType for MutationRoot {}
