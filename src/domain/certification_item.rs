//! Certification item (证明事项): a certificate an applicant may be asked to bring, listed with
//! its legal basis, requesting and issuing units and service guide; in cleanups retained,
//! cancelled (with what replaces it), or opened to a written commitment (告知承诺).

use chrono::NaiveDate;
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use crate::domain::error::{DomainError, check_optional_text, check_text};

use crate::domain::limits::{MAX_SHORT_CHARS as MAX_SHORT, MAX_TEXT_CHARS as MAX_TEXT};

/// Level of the legal basis that sets the item (设定依据).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BasisLevel {
    Law,
    Regulation,
    StateCouncilDecision,
    Rule,
    NormativeDocument,
    None,
}

impl BasisLevel {
    /// Only 法律, 法规 and 国务院决定 may set a certification item (优化营商环境条例 第44条).
    pub fn may_retain(self) -> bool {
        matches!(
            self,
            BasisLevel::Law | BasisLevel::Regulation | BasisLevel::StateCouncilDecision
        )
    }
}

/// Areas where 告知承诺 is excluded (国家安全, 公共安全, 金融审慎监管, 生态环境, 人身健康,
/// 生命财产安全).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
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

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ItemStatus {
    #[default]
    Listed,
    Retained,
    Cancelled,
}

impl ItemStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Listed => "LISTED",
            ItemStatus::Retained => "RETAINED",
            ItemStatus::Cancelled => "CANCELLED",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemRegistration {
    /// 证明名称.
    pub name: String,
    /// The matter it serves (办理事项).
    pub matter: String,
    pub basis_level: BasisLevel,
    /// The article that sets it, e.g. 《烟花爆竹安全管理条例》第十九条.
    pub basis_citation: String,
    /// 索要单位.
    pub requesting_unit: String,
    /// 开具单位.
    pub issuing_unit: String,
    /// 办理指南.
    pub service_guide: String,
    /// Set when the item is in an area where 告知承诺 is excluded.
    pub risk_area: Option<RiskArea>,
    pub registered_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CertificationItemCommand {
    Register {
        id: String,
        registration: ItemRegistration,
    },
    Retain {
        retained_on: NaiveDate,
        commitment_allowed: bool,
        /// Why 告知承诺 cannot apply, when it cannot.
        reason: Option<String>,
    },
    Cancel {
        cancelled_on: NaiveDate,
        /// What replaces it: 告知承诺, data sharing, online verification…
        replacement_method: String,
    },
    EnableCommitment {
        enabled_on: NaiveDate,
        template_ref: Option<String>,
    },
    DisableCommitment {
        disabled_on: NaiveDate,
        reason: String,
    },
    /// Sent by the cleanup process manager; applying the same campaign twice writes nothing.
    ApplyCleanupDecision {
        campaign_id: String,
        decision: ItemCleanupDecision,
        decided_on: NaiveDate,
    },
}

/// A cleanup campaign's decision on an item, with what each needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ItemCleanupDecision {
    Retain {
        commitment_allowed: bool,
        reason: Option<String>,
    },
    Cancel {
        replacement_method: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CertificationItemEvent {
    CertificationItemRegistered {
        id: String,
        registration: ItemRegistration,
    },
    CertificationItemRetained {
        retained_on: NaiveDate,
        commitment_allowed: bool,
        reason: Option<String>,
        /// The cleanup campaign that decided it, when one did.
        #[serde(default)]
        campaign_id: Option<String>,
    },
    CertificationItemCancelled {
        cancelled_on: NaiveDate,
        replacement_method: String,
        #[serde(default)]
        campaign_id: Option<String>,
    },
    CommitmentEnabled {
        enabled_on: NaiveDate,
        template_ref: Option<String>,
    },
    CommitmentDisabled {
        disabled_on: NaiveDate,
        reason: String,
    },
}

impl DomainEvent for CertificationItemEvent {
    fn event_type(&self) -> String {
        match self {
            Self::CertificationItemRegistered { .. } => "CertificationItemRegistered",
            Self::CertificationItemRetained { .. } => "CertificationItemRetained",
            Self::CertificationItemCancelled { .. } => "CertificationItemCancelled",
            Self::CommitmentEnabled { .. } => "CommitmentEnabled",
            Self::CommitmentDisabled { .. } => "CommitmentDisabled",
        }
        .to_owned()
    }
    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

impl CertificationItemEvent {
    /// One line for people reading a history.
    pub fn summary(&self) -> String {
        match self {
            Self::CertificationItemRegistered {
                registration: r, ..
            } => format!(
                "Certification item registered (证明事项登记): {} for {}",
                r.name, r.matter
            ),
            Self::CertificationItemRetained {
                commitment_allowed, ..
            } => format!(
                "Retained (保留){}",
                if *commitment_allowed {
                    ", 告知承诺 allowed"
                } else {
                    ", 告知承诺 not allowed"
                }
            ),
            Self::CertificationItemCancelled {
                replacement_method, ..
            } => format!("Cancelled (取消), replaced by {replacement_method}"),
            Self::CommitmentEnabled { .. } => "Written commitment enabled (告知承诺)".into(),
            Self::CommitmentDisabled { reason, .. } => {
                format!("Written commitment disabled (停止告知承诺): {reason}")
            }
        }
    }
}

/// Certification item state, folded from its events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CertificationItem {
    pub id: Option<String>,
    pub registration: Option<ItemRegistration>,
    pub status: ItemStatus,
    pub commitment_allowed: Option<bool>,
    pub commitment_refusal_reason: Option<String>,
    pub commitment_enabled: bool,
    pub decided_on: Option<NaiveDate>,
    pub replacement_method: Option<String>,
    /// The cleanup campaigns that decided on this item.
    pub campaigns: Vec<String>,
    /// Decisions and commitment switches with their dates, oldest first (legal time, for
    /// figures as of a year).
    pub history: Vec<ItemChange>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ItemChangeKind {
    Retained,
    Cancelled,
    CommitmentEnabled,
    CommitmentDisabled,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemChange {
    pub on: NaiveDate,
    pub change: ItemChangeKind,
}

impl CertificationItem {
    /// Whether the item had a decision of this kind dated in `year`.
    pub fn changed_in(&self, year: i32, change: ItemChangeKind) -> bool {
        use chrono::Datelike;
        self.history
            .iter()
            .any(|c| c.change == change && c.on.year() == year)
    }

    /// Whether 告知承诺 was enabled on `date` (after that day's changes).
    pub fn commitment_on(&self, date: NaiveDate) -> bool {
        self.history
            .iter()
            .filter(|c| c.on <= date)
            .filter_map(|c| match c.change {
                ItemChangeKind::CommitmentEnabled => Some(true),
                ItemChangeKind::CommitmentDisabled => Some(false),
                _ => None,
            })
            .next_back()
            .unwrap_or(false)
    }
}

impl CertificationItem {
    /// Retention: only with a basis in law, regulation or State Council decision, and with a
    /// reason when 告知承诺 is refused.
    fn retention(
        &self,
        retained_on: NaiveDate,
        commitment_allowed: bool,
        reason: Option<String>,
        campaign_id: Option<String>,
    ) -> Result<CertificationItemEvent, DomainError> {
        let r = self.registered("retainCertificationItem")?;
        if !r.basis_level.may_retain() {
            return Err(DomainError::BasisInsufficient);
        }
        if let Some(reason) = &reason {
            check_optional_text("reason", reason, MAX_TEXT)?;
        }
        let has_reason = reason.as_deref().is_some_and(|s| !s.trim().is_empty());
        if !commitment_allowed && !has_reason {
            return Err(DomainError::invalid(
                "reason",
                "say why 告知承诺 cannot apply to this item",
            ));
        }
        if commitment_allowed && r.risk_area.is_some() {
            return Err(DomainError::CommitmentExcluded);
        }
        Ok(CertificationItemEvent::CertificationItemRetained {
            retained_on,
            commitment_allowed,
            reason,
            campaign_id,
        })
    }

    /// Cancellation: always with what replaces the certificate.
    fn cancellation(
        &self,
        cancelled_on: NaiveDate,
        replacement_method: String,
        campaign_id: Option<String>,
    ) -> Result<CertificationItemEvent, DomainError> {
        self.registered("cancelCertificationItem")?;
        if replacement_method.trim().is_empty() {
            return Err(DomainError::ReplacementRequired);
        }
        check_text("replacementMethod", &replacement_method, MAX_SHORT)?;
        Ok(CertificationItemEvent::CertificationItemCancelled {
            cancelled_on,
            replacement_method,
            campaign_id,
        })
    }

    fn registered(&self, command: &'static str) -> Result<&ItemRegistration, DomainError> {
        let invalid = |state: &str| DomainError::InvalidTransition {
            command,
            what: "certification item",
            state: state.into(),
        };
        let r = self
            .registration
            .as_ref()
            .ok_or_else(|| invalid("NOT_REGISTERED"))?;
        // A cancelled item may not be demanded again unless registered anew.
        if self.status == ItemStatus::Cancelled {
            return Err(invalid("CANCELLED"));
        }
        Ok(r)
    }
}

impl Aggregate for CertificationItem {
    const TYPE: &'static str = "CertificationItem";
    type Command = CertificationItemCommand;
    type Event = CertificationItemEvent;
    type Error = DomainError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        use CertificationItemCommand as C;
        use CertificationItemEvent as E;
        let event = match command {
            C::Register {
                id,
                registration: r,
            } => {
                if self.registration.is_some() {
                    return Err(DomainError::InvalidTransition {
                        command: "registerCertificationItem",
                        what: "certification item",
                        state: self.status.as_str().into(),
                    });
                }
                check_text("name", &r.name, MAX_SHORT)?;
                check_text("matter", &r.matter, MAX_SHORT)?;
                check_optional_text("basisCitation", &r.basis_citation, MAX_SHORT)?;
                if r.basis_level != BasisLevel::None && r.basis_citation.trim().is_empty() {
                    return Err(DomainError::invalid(
                        "basisCitation",
                        "cite the article that sets the item",
                    ));
                }
                check_text("requestingUnit", &r.requesting_unit, MAX_SHORT)?;
                check_text("issuingUnit", &r.issuing_unit, MAX_SHORT)?;
                check_optional_text("serviceGuide", &r.service_guide, MAX_TEXT)?;
                E::CertificationItemRegistered {
                    id,
                    registration: r,
                }
            }
            C::Retain {
                retained_on,
                commitment_allowed,
                reason,
            } => {
                if self.status == ItemStatus::Retained {
                    return Err(DomainError::InvalidTransition {
                        command: "retainCertificationItem",
                        what: "certification item",
                        state: "RETAINED".into(),
                    });
                }
                self.retention(retained_on, commitment_allowed, reason, None)?
            }
            C::Cancel {
                cancelled_on,
                replacement_method,
            } => self.cancellation(cancelled_on, replacement_method, None)?,
            C::ApplyCleanupDecision {
                campaign_id,
                decision,
                decided_on,
            } => {
                if self.campaigns.contains(&campaign_id) {
                    // Already applied: the process manager is re-running.
                    return Ok(());
                }
                match decision {
                    // A campaign may confirm an item retained before.
                    ItemCleanupDecision::Retain {
                        commitment_allowed,
                        reason,
                    } => {
                        self.retention(decided_on, commitment_allowed, reason, Some(campaign_id))?
                    }
                    ItemCleanupDecision::Cancel { replacement_method } => {
                        self.cancellation(decided_on, replacement_method, Some(campaign_id))?
                    }
                }
            }
            C::EnableCommitment {
                enabled_on,
                template_ref,
            } => {
                let r = self.registered("enableCommitment")?;
                if r.risk_area.is_some() || self.commitment_allowed == Some(false) {
                    return Err(DomainError::CommitmentExcluded);
                }
                if self.status != ItemStatus::Retained || self.commitment_enabled {
                    return Err(DomainError::InvalidTransition {
                        command: "enableCommitment",
                        what: "certification item",
                        state: if self.commitment_enabled {
                            "COMMITMENT_ENABLED".into()
                        } else {
                            self.status.as_str().into()
                        },
                    });
                }
                if let Some(t) = &template_ref {
                    check_optional_text("templateRef", t, MAX_SHORT)?;
                }
                E::CommitmentEnabled {
                    enabled_on,
                    template_ref,
                }
            }
            C::DisableCommitment {
                disabled_on,
                reason,
            } => {
                self.registered("disableCommitment")?;
                if !self.commitment_enabled {
                    return Err(DomainError::InvalidTransition {
                        command: "disableCommitment",
                        what: "certification item",
                        state: "COMMITMENT_NOT_ENABLED".into(),
                    });
                }
                check_text("reason", &reason, MAX_TEXT)?;
                E::CommitmentDisabled {
                    disabled_on,
                    reason,
                }
            }
        };
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        use CertificationItemEvent as E;
        match event {
            E::CertificationItemRegistered { id, registration } => {
                self.id = Some(id);
                self.registration = Some(registration);
            }
            E::CertificationItemRetained {
                retained_on,
                commitment_allowed,
                reason,
                campaign_id,
            } => {
                self.campaigns.extend(campaign_id);
                self.history.push(ItemChange {
                    on: retained_on,
                    change: ItemChangeKind::Retained,
                });
                self.status = ItemStatus::Retained;
                self.decided_on = Some(retained_on);
                self.commitment_allowed = Some(commitment_allowed);
                self.commitment_refusal_reason = reason.filter(|_| !commitment_allowed);
            }
            E::CertificationItemCancelled {
                cancelled_on,
                replacement_method,
                campaign_id,
            } => {
                self.campaigns.extend(campaign_id);
                self.history.push(ItemChange {
                    on: cancelled_on,
                    change: ItemChangeKind::Cancelled,
                });
                if self.commitment_enabled {
                    self.history.push(ItemChange {
                        on: cancelled_on,
                        change: ItemChangeKind::CommitmentDisabled,
                    });
                }
                self.status = ItemStatus::Cancelled;
                self.decided_on = Some(cancelled_on);
                self.replacement_method = Some(replacement_method);
                self.commitment_enabled = false;
            }
            E::CommitmentEnabled { enabled_on, .. } => {
                self.commitment_enabled = true;
                self.history.push(ItemChange {
                    on: enabled_on,
                    change: ItemChangeKind::CommitmentEnabled,
                });
            }
            E::CommitmentDisabled { disabled_on, .. } => {
                self.commitment_enabled = false;
                self.history.push(ItemChange {
                    on: disabled_on,
                    change: ItemChangeKind::CommitmentDisabled,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cqrs_es::test::TestFramework;

    type Given = TestFramework<CertificationItem>;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn registration(level: BasisLevel, risk: Option<RiskArea>) -> ItemRegistration {
        ItemRegistration {
            name: "能够证明符合《烟花爆竹安全管理条例》第十八条规定条件的有关材料".into(),
            matter: "烟花爆竹经营(零售)许可".into(),
            basis_level: level,
            basis_citation: "《烟花爆竹安全管理条例》第十九条".into(),
            requesting_unit: "应急管理部门".into(),
            issuing_unit: "经营者".into(),
            service_guide: String::new(),
            risk_area: risk,
            registered_on: d("2019-07-20"),
        }
    }

    fn registered(level: BasisLevel, risk: Option<RiskArea>) -> CertificationItemEvent {
        CertificationItemEvent::CertificationItemRegistered {
            id: "item-1".into(),
            registration: registration(level, risk),
        }
    }

    fn rule(
        events: Vec<CertificationItemEvent>,
        command: CertificationItemCommand,
    ) -> &'static str {
        Given::with(())
            .given(events)
            .when(command)
            .inspect_result()
            .expect_err("refused")
            .rule()
    }

    fn retain(allowed: bool, reason: Option<&str>) -> CertificationItemCommand {
        CertificationItemCommand::Retain {
            retained_on: d("2019-09-01"),
            commitment_allowed: allowed,
            reason: reason.map(Into::into),
        }
    }

    #[test]
    fn an_item_is_registered_with_its_basis() {
        Given::with(())
            .given_no_previous_events()
            .when(CertificationItemCommand::Register {
                id: "item-1".into(),
                registration: registration(BasisLevel::Regulation, None),
            })
            .then_expect_events(vec![registered(BasisLevel::Regulation, None)]);
        let mut no_citation = registration(BasisLevel::Law, None);
        no_citation.basis_citation = " ".into();
        assert_eq!(
            Given::with(())
                .given_no_previous_events()
                .when(CertificationItemCommand::Register {
                    id: "x".into(),
                    registration: no_citation
                })
                .inspect_result()
                .unwrap_err()
                .rule(),
            "INVALID_INPUT"
        );
    }

    #[test]
    fn only_a_law_regulation_or_state_council_decision_may_keep_an_item() {
        for level in [
            BasisLevel::Law,
            BasisLevel::Regulation,
            BasisLevel::StateCouncilDecision,
        ] {
            Given::with(())
                .given(vec![registered(level, None)])
                .when(retain(true, None))
                .inspect_result()
                .expect("retained");
        }
        for level in [
            BasisLevel::Rule,
            BasisLevel::NormativeDocument,
            BasisLevel::None,
        ] {
            assert_eq!(
                rule(vec![registered(level, None)], retain(true, None)),
                "BASIS_INSUFFICIENT"
            );
        }
    }

    #[test]
    fn a_cancellation_needs_a_replacement_and_ends_the_item() {
        let cancel = |m: &str| CertificationItemCommand::Cancel {
            cancelled_on: d("2019-09-01"),
            replacement_method: m.into(),
        };
        assert_eq!(
            rule(
                vec![registered(BasisLevel::NormativeDocument, None)],
                cancel(" ")
            ),
            "REPLACEMENT_REQUIRED"
        );
        let cancelled = CertificationItemEvent::CertificationItemCancelled {
            cancelled_on: d("2019-09-01"),
            replacement_method: "收入情况声明".into(),
            campaign_id: None,
        };
        Given::with(())
            .given(vec![registered(BasisLevel::NormativeDocument, None)])
            .when(cancel("收入情况声明"))
            .then_expect_events(vec![cancelled.clone()]);
        // Cancelled items are not demanded again unless registered anew.
        let after = vec![registered(BasisLevel::Law, None), cancelled];
        assert_eq!(
            rule(after.clone(), retain(true, None)),
            "INVALID_TRANSITION"
        );
        assert_eq!(rule(after.clone(), cancel("x")), "INVALID_TRANSITION");
        assert_eq!(
            rule(
                after,
                CertificationItemCommand::EnableCommitment {
                    enabled_on: d("2019-10-01"),
                    template_ref: None
                }
            ),
            "INVALID_TRANSITION"
        );
    }

    #[test]
    fn high_risk_items_never_take_a_written_commitment() {
        for area in [
            RiskArea::Safety,
            RiskArea::PublicSecurity,
            RiskArea::FinancialSupervision,
            RiskArea::Environment,
            RiskArea::Health,
            RiskArea::NationalSecurity,
        ] {
            let risky = registered(BasisLevel::Regulation, Some(area));
            assert_eq!(
                rule(vec![risky], retain(true, None)),
                "COMMITMENT_EXCLUDED",
                "{area:?}"
            );
        }
        let risky = registered(BasisLevel::Regulation, Some(RiskArea::Safety));
        let retained = CertificationItemEvent::CertificationItemRetained {
            retained_on: d("2019-09-01"),
            commitment_allowed: false,
            reason: Some("不能保证符合安全生产条件".into()),
            campaign_id: None,
        };
        let enable = CertificationItemCommand::EnableCommitment {
            enabled_on: d("2019-10-01"),
            template_ref: None,
        };
        assert_eq!(
            rule(vec![risky, retained.clone()], enable.clone()),
            "COMMITMENT_EXCLUDED"
        );
        // Refusing the commitment needs a reason.
        assert_eq!(
            rule(vec![registered(BasisLevel::Law, None)], retain(false, None)),
            "INVALID_INPUT"
        );
    }

    #[test]
    fn a_commitment_is_enabled_on_a_retained_item_and_disabled_with_a_reason() {
        let retained = CertificationItemEvent::CertificationItemRetained {
            retained_on: d("2019-09-01"),
            commitment_allowed: true,
            reason: None,
            campaign_id: None,
        };
        let enable = CertificationItemCommand::EnableCommitment {
            enabled_on: d("2019-10-01"),
            template_ref: Some("承诺书模板1".into()),
        };
        assert_eq!(
            rule(vec![registered(BasisLevel::Law, None)], enable.clone()),
            "INVALID_TRANSITION"
        );
        let enabled = CertificationItemEvent::CommitmentEnabled {
            enabled_on: d("2019-10-01"),
            template_ref: Some("承诺书模板1".into()),
        };
        Given::with(())
            .given(vec![registered(BasisLevel::Law, None), retained.clone()])
            .when(enable.clone())
            .then_expect_events(vec![enabled.clone()]);
        let history = vec![registered(BasisLevel::Law, None), retained, enabled];
        assert_eq!(rule(history.clone(), enable), "INVALID_TRANSITION");
        Given::with(())
            .given(history)
            .when(CertificationItemCommand::DisableCommitment {
                disabled_on: d("2020-01-01"),
                reason: "出现虚假承诺".into(),
            })
            .inspect_result()
            .expect("disabled");
    }

    #[test]
    fn a_campaign_decision_applies_once_and_may_confirm_a_retained_item() {
        let apply = |decision| CertificationItemCommand::ApplyCleanupDecision {
            campaign_id: "campaign-1".into(),
            decision,
            decided_on: d("2019-09-30"),
        };
        let cancel = ItemCleanupDecision::Cancel {
            replacement_method: "告知承诺".into(),
        };
        let cancelled = CertificationItemEvent::CertificationItemCancelled {
            cancelled_on: d("2019-09-30"),
            replacement_method: "告知承诺".into(),
            campaign_id: Some("campaign-1".into()),
        };
        Given::with(())
            .given(vec![registered(BasisLevel::NormativeDocument, None)])
            .when(apply(cancel.clone()))
            .then_expect_events(vec![cancelled.clone()]);
        // The process manager running again writes nothing.
        Given::with(())
            .given(vec![
                registered(BasisLevel::NormativeDocument, None),
                cancelled,
            ])
            .when(apply(cancel))
            .then_expect_events(vec![]);
        // A campaign confirms an item retained earlier; the basis rule still holds.
        let earlier = CertificationItemEvent::CertificationItemRetained {
            retained_on: d("2018-01-01"),
            commitment_allowed: true,
            reason: None,
            campaign_id: None,
        };
        let retain = ItemCleanupDecision::Retain {
            commitment_allowed: true,
            reason: None,
        };
        Given::with(())
            .given(vec![registered(BasisLevel::Law, None), earlier])
            .when(apply(retain.clone()))
            .then_expect_events(vec![CertificationItemEvent::CertificationItemRetained {
                retained_on: d("2019-09-30"),
                commitment_allowed: true,
                reason: None,
                campaign_id: Some("campaign-1".into()),
            }]);
        assert_eq!(
            rule(vec![registered(BasisLevel::Rule, None)], apply(retain)),
            "BASIS_INSUFFICIENT"
        );
    }
}
