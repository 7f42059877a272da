//! Issuing body (制定主体): a unit on the county's list of bodies that may make normative
//! documents, keyed by its code. Ineligible kinds can never be listed.

use chrono::NaiveDate;
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use crate::domain::error::{DomainError, check_optional_text, check_text};

/// Kinds of body. The last six are never eligible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IssuingBodyKind {
    CountyGovernment,
    CountyGovernmentOffice,
    CountyDepartment,
    TownshipGovernment,
    SubdistrictOffice,
    AuthorisedOrganisation,
    PartyOrganWithGovernmentName,
    CoordinationBody,
    CoordinationBodyOffice,
    TemporaryBody,
    InternalUnit,
    DispatchedAgency,
    EntrustedEnforcementBody,
}

/// The meeting that deliberates a document (集体审议).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MeetingType {
    /// 政府常务会议.
    ExecutiveMeeting,
    /// 政府全体会议.
    PlenaryMeeting,
    /// 部门办公会议 (a department's leadership meeting).
    DepartmentMeeting,
    /// 乡镇长办公会议 (a township's or subdistrict's).
    TownshipMeeting,
}

impl MeetingType {
    pub fn label(self) -> &'static str {
        match self {
            MeetingType::ExecutiveMeeting => "政府常务会议",
            MeetingType::PlenaryMeeting => "政府全体会议",
            MeetingType::DepartmentMeeting => "部门办公会议",
            MeetingType::TownshipMeeting => "乡镇长办公会议",
        }
    }
}

impl IssuingBodyKind {
    /// Whether the body is the government itself (or its office): its documents are the
    /// government's, deliberated by the government's meetings and recorded by its office.
    pub fn is_government(self) -> bool {
        matches!(
            self,
            IssuingBodyKind::CountyGovernment | IssuingBodyKind::CountyGovernmentOffice
        )
    }

    /// The meetings that may deliberate this body's documents.
    pub fn deliberating_meetings(self) -> &'static [MeetingType] {
        match self {
            IssuingBodyKind::CountyGovernment | IssuingBodyKind::CountyGovernmentOffice => {
                &[MeetingType::ExecutiveMeeting, MeetingType::PlenaryMeeting]
            }
            IssuingBodyKind::TownshipGovernment | IssuingBodyKind::SubdistrictOffice => {
                &[MeetingType::TownshipMeeting]
            }
            // Departments, and the organisations authorised by law that act like them.
            _ => &[MeetingType::DepartmentMeeting],
        }
    }

    /// 议事协调机构及其办公室、临时机构、内设机构、派出机构、受委托执法机构 may never make
    /// normative documents in their own name.
    pub fn is_eligible(self) -> bool {
        !matches!(
            self,
            IssuingBodyKind::CoordinationBody
                | IssuingBodyKind::CoordinationBodyOffice
                | IssuingBodyKind::TemporaryBody
                | IssuingBodyKind::InternalUnit
                | IssuingBodyKind::DispatchedAgency
                | IssuingBodyKind::EntrustedEnforcementBody
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssuingBodyListing {
    pub code: String,
    pub name: String,
    pub kind: IssuingBodyKind,
    /// 发文机关代字: one body may have several.
    pub agency_codes: Vec<String>,
    pub parent: Option<String>,
    /// Designated legality-review body (审核机构).
    pub review_body: Option<String>,
    /// Filing authorities (备案机关).
    pub filing_authorities: Vec<String>,
    pub listed_from: NaiveDate,
    /// The document that put the body on the list.
    pub listing_document: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum IssuingBodyCommand {
    List(IssuingBodyListing),
    AddAgencyCode {
        agency_code: String,
        added_on: NaiveDate,
    },
    Delist {
        delisted_on: NaiveDate,
        reason: String,
        document: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum IssuingBodyEvent {
    IssuingBodyListed(IssuingBodyListing),
    AgencyCodeAdded {
        agency_code: String,
        added_on: NaiveDate,
    },
    IssuingBodyDelisted {
        delisted_on: NaiveDate,
        reason: String,
        document: Option<String>,
    },
}

impl DomainEvent for IssuingBodyEvent {
    fn event_type(&self) -> String {
        match self {
            IssuingBodyEvent::IssuingBodyListed(_) => "IssuingBodyListed",
            IssuingBodyEvent::AgencyCodeAdded { .. } => "AgencyCodeAdded",
            IssuingBodyEvent::IssuingBodyDelisted { .. } => "IssuingBodyDelisted",
        }
        .to_owned()
    }
    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

impl IssuingBodyEvent {
    /// One line for people reading a history.
    pub fn summary(&self) -> String {
        match self {
            IssuingBodyEvent::IssuingBodyListed(l) => format!(
                "Listed as an issuing body (列入制定主体清单): {} ({}) from {}",
                l.name,
                l.agency_codes.join(", "),
                l.listed_from
            ),
            IssuingBodyEvent::AgencyCodeAdded { agency_code, .. } => {
                format!("Agency code added (发文机关代字): {agency_code}")
            }
            IssuingBodyEvent::IssuingBodyDelisted {
                delisted_on,
                reason,
                ..
            } => format!("Delisted (移出制定主体清单) from {delisted_on}: {reason}"),
        }
    }
}

/// Issuing body (制定主体) state, folded from its events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IssuingBody {
    pub listing: Option<IssuingBodyListing>,
    pub delisted_on: Option<NaiveDate>,
    pub delisting_reason: Option<String>,
}

impl IssuingBody {
    /// Listed and eligible on `date`: from `listed_from` up to (not including) `delisted_on`.
    pub fn is_listed_on(&self, date: NaiveDate) -> bool {
        match &self.listing {
            Some(l) => {
                l.kind.is_eligible()
                    && l.listed_from <= date
                    && self.delisted_on.is_none_or(|d| date < d)
            }
            None => false,
        }
    }

    pub fn has_agency_code(&self, agency_code: &str) -> bool {
        self.listing
            .as_ref()
            .is_some_and(|l| l.agency_codes.iter().any(|c| c == agency_code))
    }

    fn listing_or_refuse(&self, command: &'static str) -> Result<&IssuingBodyListing, DomainError> {
        match (&self.listing, self.delisted_on) {
            (Some(l), None) => Ok(l),
            (Some(_), Some(_)) => Err(DomainError::InvalidTransition {
                command,
                what: "issuing body",
                state: "DELISTED".into(),
            }),
            (None, _) => Err(DomainError::InvalidTransition {
                command,
                what: "issuing body",
                state: "NOT_LISTED".into(),
            }),
        }
    }
}

fn check_agency_code(agency_code: &str) -> Result<(), DomainError> {
    check_text("agencyCodes", agency_code, 16)?;
    if agency_code.chars().any(|c| !c.is_alphabetic()) {
        return Err(DomainError::invalid(
            "agencyCodes",
            "an agency code (代字) is letters or Chinese characters only",
        ));
    }
    Ok(())
}

impl Aggregate for IssuingBody {
    const TYPE: &'static str = "IssuingBody";
    type Command = IssuingBodyCommand;
    type Event = IssuingBodyEvent;
    type Error = DomainError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        match command {
            IssuingBodyCommand::List(listing) => {
                if self.listing.is_some() {
                    return Err(DomainError::IssuingBodyAlreadyListed { code: listing.code });
                }
                if !listing.kind.is_eligible() {
                    return Err(DomainError::IssuingBodyIneligible {
                        kind: format!("{:?}", listing.kind),
                    });
                }
                check_text("code", &listing.code, 64)?;
                if !listing
                    .code
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                {
                    return Err(DomainError::invalid(
                        "code",
                        "use ASCII letters, digits, '-' and '_'",
                    ));
                }
                check_text("name", &listing.name, 200)?;
                if listing.agency_codes.is_empty() {
                    return Err(DomainError::invalid(
                        "agencyCodes",
                        "at least one is needed",
                    ));
                }
                for c in &listing.agency_codes {
                    check_agency_code(c)?;
                }
                for f in listing
                    .parent
                    .iter()
                    .chain(&listing.review_body)
                    .chain(&listing.listing_document)
                    .chain(&listing.filing_authorities)
                {
                    check_optional_text("listing", f, 200)?;
                }
                sink.write(IssuingBodyEvent::IssuingBodyListed(listing), self)
                    .await;
            }
            IssuingBodyCommand::AddAgencyCode {
                agency_code,
                added_on,
            } => {
                let listing = self.listing_or_refuse("addAgencyCode")?;
                check_agency_code(&agency_code)?;
                if self.has_agency_code(&agency_code) {
                    return Err(DomainError::AgencyCodeAlreadyPresent {
                        code: listing.code.clone(),
                        agency_code,
                    });
                }
                sink.write(
                    IssuingBodyEvent::AgencyCodeAdded {
                        agency_code,
                        added_on,
                    },
                    self,
                )
                .await;
            }
            IssuingBodyCommand::Delist {
                delisted_on,
                reason,
                document,
            } => {
                let listing = self.listing_or_refuse("delistIssuingBody")?;
                check_text("reason", &reason, 2000)?;
                if delisted_on < listing.listed_from {
                    return Err(DomainError::invalid(
                        "delistedOn",
                        "must not be before the body was listed",
                    ));
                }
                sink.write(
                    IssuingBodyEvent::IssuingBodyDelisted {
                        delisted_on,
                        reason,
                        document,
                    },
                    self,
                )
                .await;
            }
        }
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            IssuingBodyEvent::IssuingBodyListed(listing) => self.listing = Some(listing),
            IssuingBodyEvent::AgencyCodeAdded { agency_code, .. } => {
                if let Some(l) = &mut self.listing {
                    l.agency_codes.push(agency_code);
                }
            }
            IssuingBodyEvent::IssuingBodyDelisted {
                delisted_on,
                reason,
                ..
            } => {
                self.delisted_on = Some(delisted_on);
                self.delisting_reason = Some(reason);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cqrs_es::test::TestFramework;

    type Given = TestFramework<IssuingBody>;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    pub(crate) fn listing(kind: IssuingBodyKind) -> IssuingBodyListing {
        IssuingBodyListing {
            code: "NCX-GOV-OFFICE".into(),
            name: "南昌县人民政府办公室".into(),
            kind,
            agency_codes: vec!["南政办发".into()],
            parent: Some("NCX-GOV".into()),
            review_body: Some("NCX-JUSTICE".into()),
            filing_authorities: vec!["南昌市人民政府".into()],
            listed_from: date("2019-09-01"),
            listing_document: None,
        }
    }

    fn listed() -> IssuingBodyEvent {
        IssuingBodyEvent::IssuingBodyListed(listing(IssuingBodyKind::CountyGovernmentOffice))
    }

    #[test]
    fn an_eligible_body_is_listed() {
        Given::with(())
            .given_no_previous_events()
            .when(IssuingBodyCommand::List(listing(
                IssuingBodyKind::CountyGovernmentOffice,
            )))
            .then_expect_events(vec![listed()]);
    }

    #[test]
    fn ineligible_kinds_are_never_listed() {
        for kind in [
            IssuingBodyKind::CoordinationBody,
            IssuingBodyKind::CoordinationBodyOffice,
            IssuingBodyKind::TemporaryBody,
            IssuingBodyKind::InternalUnit,
            IssuingBodyKind::DispatchedAgency,
            IssuingBodyKind::EntrustedEnforcementBody,
        ] {
            let err = Given::with(())
                .given_no_previous_events()
                .when(IssuingBodyCommand::List(listing(kind)))
                .inspect_result()
                .unwrap_err();
            assert_eq!(err.rule(), "ISSUING_BODY_INELIGIBLE", "{kind:?}");
        }
    }

    #[test]
    fn a_body_is_listed_only_once() {
        let err = Given::with(())
            .given(vec![listed()])
            .when(IssuingBodyCommand::List(listing(
                IssuingBodyKind::CountyGovernmentOffice,
            )))
            .inspect_result()
            .unwrap_err();
        assert_eq!(err.rule(), "ISSUING_BODY_ALREADY_LISTED");
    }

    #[test]
    fn agency_codes_are_added_once() {
        Given::with(())
            .given(vec![listed()])
            .when(IssuingBodyCommand::AddAgencyCode {
                agency_code: "南府办字".into(),
                added_on: date("2020-01-01"),
            })
            .then_expect_events(vec![IssuingBodyEvent::AgencyCodeAdded {
                agency_code: "南府办字".into(),
                added_on: date("2020-01-01"),
            }]);
        let err = Given::with(())
            .given(vec![listed()])
            .when(IssuingBodyCommand::AddAgencyCode {
                agency_code: "南政办发".into(),
                added_on: date("2020-01-01"),
            })
            .inspect_result()
            .unwrap_err();
        assert_eq!(err.rule(), "AGENCY_CODE_ALREADY_PRESENT");
    }

    #[test]
    fn delisting_ends_the_listing_and_cannot_repeat() {
        let delisted = IssuingBodyEvent::IssuingBodyDelisted {
            delisted_on: date("2021-01-01"),
            reason: "机构改革".into(),
            document: None,
        };
        Given::with(())
            .given(vec![listed()])
            .when(IssuingBodyCommand::Delist {
                delisted_on: date("2021-01-01"),
                reason: "机构改革".into(),
                document: None,
            })
            .then_expect_events(vec![delisted.clone()]);
        let err = Given::with(())
            .given(vec![listed(), delisted.clone()])
            .when(IssuingBodyCommand::Delist {
                delisted_on: date("2021-02-01"),
                reason: "again".into(),
                document: None,
            })
            .inspect_result()
            .unwrap_err();
        assert_eq!(err.rule(), "INVALID_TRANSITION");

        let mut body = IssuingBody::default();
        body.apply(listed());
        body.apply(delisted);
        assert!(!body.is_listed_on(date("2019-08-31")));
        assert!(body.is_listed_on(date("2020-12-31")));
        assert!(!body.is_listed_on(date("2021-01-01")));
    }

    #[test]
    fn codes_must_be_plain_identifiers() {
        let mut l = listing(IssuingBodyKind::CountyDepartment);
        l.code = "X'; DROP TABLE events".into();
        let err = Given::with(())
            .given_no_previous_events()
            .when(IssuingBodyCommand::List(l))
            .inspect_result()
            .unwrap_err();
        assert_eq!(err.rule(), "INVALID_INPUT");
    }
}
