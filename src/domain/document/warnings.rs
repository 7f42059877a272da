//! The warn-only rules: deadlines and periods the law sets that the ledger shows but never
//! enforces, since a late step is still a step that happened.

use chrono::{Days, NaiveDate};

use super::DocumentStatus as S;
use super::*;

/// A recorded-and-warned rule: never blocks, always shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub code: &'static str,
    pub message: String,
}

/// Per-jurisdiction settings of the warn-only rules.
#[derive(Debug, Clone, Copy)]
pub struct WarningSettings {
    /// Days after publication within which a document is filed (15 or 30 by jurisdiction).
    pub filing_days: u64,
    /// Minimum consultation period in working days for rights-affecting documents.
    pub consultation_working_days: u32,
    /// Minimum consultation period in days for documents tied to business activity.
    pub market_consultation_days: u64,
    /// Minimum days between publication and commencement, unless urgent.
    pub commencement_days: u64,
    /// Days a step's legal date may lie before the day it is recorded before it is flagged
    /// as backdated (RECORDED_LATE).
    pub backdating_days: u64,
}

impl Default for WarningSettings {
    fn default() -> Self {
        WarningSettings {
            filing_days: 30,
            consultation_working_days: 7,
            market_consultation_days: 30,
            commencement_days: 30,
            backdating_days: 30,
        }
    }
}

impl NormativeDocument {
    /// The day by which an issued document must be filed for record (备案): publication plus
    /// the ledger's filing days (30 by law). None before issue, and for an imported document,
    /// whose filing the ledger does not know.
    pub fn filing_due_on(&self, settings: &WarningSettings) -> Option<NaiveDate> {
        let issuance = self.issuance.as_ref().filter(|_| self.imported.is_none())?;
        Some(issuance.published_on + Days::new(settings.filing_days))
    }
}

impl NormativeDocument {
    /// The warn-only rules this document breaks as of `today`.
    pub fn warnings(
        &self,
        today: NaiveDate,
        calendar: &crate::domain::calendar::WorkingCalendar,
        settings: &WarningSettings,
    ) -> Vec<Warning> {
        let mut out = vec![];
        let open_review = matches!(self.status, S::UnderReview | S::Revising);
        if let Some(due) = self
            .review()
            .and_then(|r| r.due_on)
            .filter(|d| open_review && *d < today)
        {
            out.push(Warning {
                code: "REVIEW_OVERDUE",
                message: format!("the legality review was due on {due}"),
            });
        }
        let market = self.draft.as_ref().is_some_and(|d| d.market_related);
        for c in &self.consultations {
            let (min, rule) = if market {
                (
                    Ok(c.opened_on + Days::new(settings.market_consultation_days)),
                    format!(
                        "{} days (business-related)",
                        settings.market_consultation_days
                    ),
                )
            } else {
                (
                    calendar.add_working_days(c.opened_on, settings.consultation_working_days),
                    format!("{} working days", settings.consultation_working_days),
                )
            };
            // A period the calendar does not cover cannot be judged: no warning, no guess.
            if min.is_ok_and(|min| c.closes_on < min) {
                out.push(Warning {
                    code: "CONSULTATION_TOO_SHORT",
                    message: format!(
                        "consultation from {} to {} is shorter than {rule}",
                        c.opened_on, c.closes_on
                    ),
                });
            }
        }
        // The ledger does not know how an imported document was filed: no filing warnings.
        if let (Some(i), Some(deadline)) = (self.issuance.as_ref(), self.filing_due_on(settings)) {
            match self.filings.first() {
                None if today > deadline && self.status == S::Issued => out.push(Warning {
                    code: "FILING_OVERDUE",
                    message: format!("not filed for record; due by {deadline}"),
                }),
                Some(f) if f.filed_on > deadline => out.push(Warning {
                    code: "FILED_LATE",
                    message: format!("filed on {}, due by {deadline}", f.filed_on),
                }),
                _ => {}
            }
            // Each authority reviews within 30 days (extended once by up to 20): late
            // reviews, and corrections past their deadline, are the county's to chase.
            for f in self.current_filings() {
                let due = f.review_due_on();
                match (f.outcome, f.reviewed_on) {
                    (None, _) if today > due => out.push(Warning {
                        code: "FILING_REVIEW_OVERDUE",
                        message: format!(
                            "{} has not reviewed the filing; due by {due}",
                            f.authority
                        ),
                    }),
                    (Some(_), Some(on)) if on > due => out.push(Warning {
                        code: "FILING_REVIEWED_LATE",
                        message: format!(
                            "{} reviewed the filing on {on}, due by {due}",
                            f.authority
                        ),
                    }),
                    _ => {}
                }
            }
            if let Some(due) = self.correction_due_on().filter(|d| *d < today) {
                out.push(Warning {
                    code: "FILING_CORRECTION_OVERDUE",
                    message: format!("a filing authority's requested correction was due by {due}"),
                });
            }
            let earliest = i.published_on + Days::new(settings.commencement_days);
            if i.effective_on < earliest {
                out.push(Warning {
                    code: "COMMENCEMENT_TOO_SOON",
                    message: format!(
                        "in force {} days after publication (rule: at least {} unless urgent)",
                        (i.effective_on - i.published_on).num_days(),
                        settings.commencement_days
                    ),
                });
            }
        }
        for s in self
            .review_suggestions
            .iter()
            .filter(|s| s.answer.is_none() && s.reply_due_on < today)
        {
            out.push(Warning {
                code: "REVIEW_SUGGESTION_OVERDUE",
                message: format!(
                    "review suggestion (审查建议) No. {} was to be answered by {}",
                    s.number, s.reply_due_on
                ),
            });
        }
        // "Issued = reviewed" holds by construction for documents issued with a text; one
        // issued without (imported, or issued before texts were recorded) cannot show it.
        if let Some(i) = &self.issuance
            && i.text_version.is_none()
        {
            out.push(Warning {
                code: "TEXT_UNMATCHED",
                message: if self.imported.is_some() {
                    "imported without its text: the text issued cannot be matched to a reviewed text".into()
                } else {
                    "issued without a recorded text: the text issued cannot be matched to the text reviewed".into()
                },
            });
        }
        out
    }
}

/// RECORDED_LATE: the steps whose legal date lies more than `settings.backdating_days` before
/// the day they were recorded (in the ledger's time zone). A step recorded late is still a step
/// that happened, but a date keyed long after the fact is what an auditor looks at first.
/// `steps` are the document's events with their log position and recording date.
pub fn recorded_late(
    steps: &[(i64, &DocumentEvent, NaiveDate)],
    settings: &WarningSettings,
) -> Vec<Warning> {
    steps
        .iter()
        .filter_map(|(position, event, recorded_on)| {
            let legal = event.legal_date()?;
            let late = (*recorded_on - legal).num_days();
            (late > settings.backdating_days as i64).then(|| Warning {
                code: "RECORDED_LATE",
                message: format!(
                    "{} at position {position} is dated {legal} but was recorded on \
                     {recorded_on}, {late} days later",
                    cqrs_es::DomainEvent::event_type(*event)
                ),
            })
        })
        .collect()
}

#[cfg(test)]
mod recorded_late_tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// A step keyed more than the allowed days after its legal date is flagged, one at the
    /// limit is not, and what the ledger records itself (expiry) never is.
    #[test]
    fn steps_recorded_long_after_their_date_are_flagged() {
        let settings = WarningSettings::default();
        let submitted = DocumentEvent::SubmittedForReview {
            submitted_on: d("2019-07-01"),
            materials: vec![],
        };
        let expired = DocumentEvent::Expired {
            on: d("2019-07-01"),
        };
        let at_limit = [(7, &submitted, d("2019-07-31"))];
        assert!(recorded_late(&at_limit, &settings).is_empty());
        let late = [
            (7, &submitted, d("2019-08-01")),
            (9, &expired, d("2020-01-01")),
        ];
        let warnings = recorded_late(&late, &settings);
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].code, "RECORDED_LATE");
        assert_eq!(
            warnings[0].message,
            "SubmittedForReview at position 7 is dated 2019-07-01 but was recorded on \
             2019-08-01, 31 days later"
        );
    }
}
