//! Certification items (证明事项): their GraphQL type, the queries that read them and the
//! mutations of the legal office that register, retain, cancel them and switch 告知承诺.

use async_graphql::connection::Connection;
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::commands::Command;
use crate::domain::CertificationItemCommand;
use crate::domain::certification_item::ItemRegistration;
use crate::graphql::error::{ApiResult, gql};
use crate::graphql::execute::{Answer, day, execute_and_answer, ledger_id, parse_id, parse_id_arg};
use crate::graphql::{page, page_size, reader};
use crate::projection::queries;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::certification_item::BasisLevel")]
pub enum BasisLevel {
    Law,
    Regulation,
    StateCouncilDecision,
    Rule,
    NormativeDocument,
    None,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::certification_item::RiskArea")]
pub enum RiskArea {
    /// 生命财产安全.
    Safety,
    /// 公共安全.
    PublicSecurity,
    /// 金融审慎监管.
    FinancialSupervision,
    /// 生态环境.
    Environment,
    /// 人身健康.
    Health,
    /// 国家安全.
    NationalSecurity,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::certification_item::ItemStatus")]
pub enum ItemStatus {
    Listed,
    Retained,
    Cancelled,
}

/// Certification item (证明事项).
pub struct CertificationItem {
    pub id: Uuid,
    pub state: crate::domain::CertificationItem,
    pub version: i64,
}

#[Object]
impl CertificationItem {
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }
    async fn version(&self) -> i64 {
        self.version
    }
    async fn status(&self) -> ItemStatus {
        self.state.status.into()
    }
    /// 证明名称.
    async fn name(&self) -> Option<&str> {
        self.reg().map(|r| r.name.as_str())
    }
    /// The matter it serves (办理事项).
    async fn matter(&self) -> Option<&str> {
        self.reg().map(|r| r.matter.as_str())
    }
    async fn basis_level(&self) -> Option<BasisLevel> {
        self.reg().map(|r| r.basis_level.into())
    }
    async fn basis_citation(&self) -> Option<&str> {
        self.reg().map(|r| r.basis_citation.as_str())
    }
    /// 索要单位.
    async fn requesting_unit(&self) -> Option<&str> {
        self.reg().map(|r| r.requesting_unit.as_str())
    }
    /// 开具单位.
    async fn issuing_unit(&self) -> Option<&str> {
        self.reg().map(|r| r.issuing_unit.as_str())
    }
    /// 办理指南.
    async fn service_guide(&self) -> Option<&str> {
        self.reg().map(|r| r.service_guide.as_str())
    }
    async fn risk_area(&self) -> Option<RiskArea> {
        self.reg().and_then(|r| r.risk_area).map(Into::into)
    }
    async fn registered_on(&self) -> Option<NaiveDate> {
        self.reg().map(|r| r.registered_on)
    }
    /// Whether 告知承诺 may apply (decided when retained).
    async fn commitment_allowed(&self) -> Option<bool> {
        self.state.commitment_allowed
    }
    /// Why 告知承诺 cannot apply, when refused.
    async fn commitment_refusal_reason(&self) -> Option<&str> {
        self.state.commitment_refusal_reason.as_deref()
    }
    async fn commitment_enabled(&self) -> bool {
        self.state.commitment_enabled
    }
    async fn decided_on(&self) -> Option<NaiveDate> {
        self.state.decided_on
    }
    /// What replaces a cancelled item.
    async fn replacement_method(&self) -> Option<&str> {
        self.state.replacement_method.as_deref()
    }
    /// Ids of the cleanup campaigns that decided on this item.
    async fn campaigns(&self) -> Vec<ID> {
        self.state.campaigns.iter().cloned().map(ID).collect()
    }
}

impl CertificationItem {
    fn reg(&self) -> Option<&crate::domain::certification_item::ItemRegistration> {
        self.state.registration.as_ref()
    }
}

#[derive(InputObject, Default)]
pub struct CertificationItemsFilter {
    pub status: Option<ItemStatus>,
    pub basis_level: Option<BasisLevel>,
    pub name_contains: Option<String>,
    pub commitment_enabled: Option<bool>,
}

/// The queries of certification items.
#[derive(Default)]
pub struct ItemQueries;

#[Object]
impl ItemQueries {
    /// One certification item (证明事项); with `asOf`, as recorded up to that instant.
    async fn certification_item(
        &self,
        ctx: &Context<'_>,
        id: String,
        as_of: Option<DateTime<Utc>>,
    ) -> ApiResult<Option<CertificationItem>> {
        let s = reader(ctx, "certificationItem")?.session;
        let id = parse_id("id", &id)?;
        Ok(queries::certification_item(&s.pool().await, id, as_of)
            .await
            .map_err(gql)?
            .map(|(state, version)| CertificationItem { id, state, version }))
    }

    /// Certification items in registration order, filtered.
    async fn certification_items(
        &self,
        ctx: &Context<'_>,
        filter: Option<CertificationItemsFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Connection<String, CertificationItem>> {
        let s = reader(ctx, "certificationItems")?.session;
        let limit = page_size(ctx, first)?;
        let f = filter.unwrap_or_default();
        let filter = queries::ItemFilter {
            status: f.status.map(|x| {
                crate::domain::certification_item::ItemStatus::from(x)
                    .as_str()
                    .to_owned()
            }),
            basis_level: f.basis_level.map(|b| {
                serde_json::to_value(crate::domain::certification_item::BasisLevel::from(b))
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            }),
            name_contains: f.name_contains,
            commitment_enabled: f.commitment_enabled,
        };
        let after_id = after.as_deref().map(|a| parse_id("after", a)).transpose()?;
        let rows = queries::certification_items(&s.pool().await, &filter, after_id, limit + 1)
            .await
            .map_err(gql)?;
        Ok(page(
            rows,
            limit,
            after.is_some(),
            |(id, state, version)| (id.to_string(), CertificationItem { id, state, version }),
        ))
    }
}

/// A certification item after a command.
#[derive(SimpleObject)]
pub struct CertificationItemPayload {
    certification_item: CertificationItem,
    position: i64,
    projected: bool,
}

#[derive(InputObject)]
pub struct RegisterCertificationItemInput {
    /// 证明名称.
    pub name: String,
    /// The matter it serves (办理事项).
    pub matter: String,
    pub basis_level: BasisLevel,
    /// The article that sets it; required unless the level is NONE.
    #[graphql(default)]
    pub basis_citation: String,
    /// 索要单位.
    pub requesting_unit: String,
    /// 开具单位.
    pub issuing_unit: String,
    /// 办理指南.
    #[graphql(default)]
    pub service_guide: String,
    /// Set for items in areas where 告知承诺 is excluded.
    pub risk_area: Option<RiskArea>,
    pub registered_on: Option<NaiveDate>,
}

impl Answer for CertificationItem {
    type Aggregate = crate::domain::CertificationItem;

    async fn read(pool: &PgPool, id: &str) -> ApiResult<Option<Self>> {
        let id = ledger_id(id)?;
        let item = queries::certification_item(pool, id, None)
            .await
            .map_err(gql)?;
        Ok(item.map(|(state, version)| CertificationItem { id, state, version }))
    }

    fn from_fold(id: &str, state: Self::Aggregate, version: i64) -> ApiResult<Self> {
        let id = ledger_id(id)?;
        Ok(CertificationItem { id, state, version })
    }
}

async fn on_item(
    ctx: &Context<'_>,
    id: Uuid,
    command: CertificationItemCommand,
) -> ApiResult<CertificationItemPayload> {
    let a = execute_and_answer(ctx, Command::CertificationItem { id, command }).await?;
    Ok(CertificationItemPayload {
        certification_item: a.resource,
        position: a.position,
        projected: a.projected,
    })
}

#[derive(Default)]
pub struct ItemMutations;

#[Object]
impl ItemMutations {
    /// Lists a certification item with its legal basis (LEGAL_OFFICE).
    async fn register_certification_item(
        &self,
        ctx: &Context<'_>,
        input: RegisterCertificationItemInput,
    ) -> ApiResult<CertificationItemPayload> {
        let id = Uuid::now_v7();
        let registration = ItemRegistration {
            name: input.name,
            matter: input.matter,
            basis_level: input.basis_level.into(),
            basis_citation: input.basis_citation,
            requesting_unit: input.requesting_unit,
            issuing_unit: input.issuing_unit,
            service_guide: input.service_guide,
            risk_area: input.risk_area.map(Into::into),
            registered_on: day(input.registered_on),
        };
        let command = CertificationItemCommand::Register {
            id: id.to_string(),
            registration,
        };
        on_item(ctx, id, command).await
    }

    /// Retains an item (保留); a basis in law, regulation or State Council decision is needed.
    /// Says whether 告知承诺 may apply, and why not when it may not (LEGAL_OFFICE).
    async fn retain_certification_item(
        &self,
        ctx: &Context<'_>,
        id: ID,
        commitment_allowed: bool,
        reason: Option<String>,
        retained_on: Option<NaiveDate>,
    ) -> ApiResult<CertificationItemPayload> {
        let command = CertificationItemCommand::Retain {
            retained_on: day(retained_on),
            commitment_allowed,
            reason,
        };
        on_item(ctx, parse_id_arg(&id)?, command).await
    }

    /// Cancels an item (取消) and records what replaces it (LEGAL_OFFICE).
    async fn cancel_certification_item(
        &self,
        ctx: &Context<'_>,
        id: ID,
        replacement_method: String,
        cancelled_on: Option<NaiveDate>,
    ) -> ApiResult<CertificationItemPayload> {
        let command = CertificationItemCommand::Cancel {
            cancelled_on: day(cancelled_on),
            replacement_method,
        };
        on_item(ctx, parse_id_arg(&id)?, command).await
    }

    /// Lets applicants use a written commitment (告知承诺) instead (LEGAL_OFFICE).
    async fn enable_commitment(
        &self,
        ctx: &Context<'_>,
        id: ID,
        template_ref: Option<String>,
        enabled_on: Option<NaiveDate>,
    ) -> ApiResult<CertificationItemPayload> {
        let command = CertificationItemCommand::EnableCommitment {
            enabled_on: day(enabled_on),
            template_ref,
        };
        on_item(ctx, parse_id_arg(&id)?, command).await
    }

    /// Stops accepting a written commitment, with the reason (LEGAL_OFFICE).
    async fn disable_commitment(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: String,
        disabled_on: Option<NaiveDate>,
    ) -> ApiResult<CertificationItemPayload> {
        let command = CertificationItemCommand::DisableCommitment {
            disabled_on: day(disabled_on),
            reason,
        };
        on_item(ctx, parse_id_arg(&id)?, command).await
    }
}
