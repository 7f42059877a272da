//! Correcting a mis-keyed fact (更正): a compensating `FactCorrected` event that names the
//! event it corrects (by its position in the log), the field, the old and the new value and a
//! reason. The recorded event is never touched: the read model shows the new value, the
//! history both.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::*;

/// A fact a person keys in and may mis-key, with the event that records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FactField {
    /// `FiledForRecord`: the day the document was filed (every authority of that filing).
    FiledOn,
    /// `SubmittedForReview`: the day the draft was submitted for review.
    SubmittedOn,
    /// `Deliberated`: the meeting's name and number, e.g. 县政府第12次常务会议.
    Meeting,
    /// `Deliberated`: the day the meeting was held.
    HeldOn,
    /// `Deliberated`: the minutes' reference (会议纪要).
    MinutesReference,
    /// `Issued`: who signed the document.
    Signer,
}

impl FactField {
    pub const ALL: [FactField; 6] = [
        FactField::FiledOn,
        FactField::SubmittedOn,
        FactField::Meeting,
        FactField::HeldOn,
        FactField::MinutesReference,
        FactField::Signer,
    ];

    /// The event type that records this fact.
    pub fn event_type(self) -> &'static str {
        match self {
            FactField::FiledOn => "FiledForRecord",
            FactField::SubmittedOn => "SubmittedForReview",
            FactField::Meeting | FactField::HeldOn | FactField::MinutesReference => "Deliberated",
            FactField::Signer => "Issued",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FactField::FiledOn => "FILED_ON",
            FactField::SubmittedOn => "SUBMITTED_ON",
            FactField::Meeting => "MEETING",
            FactField::HeldOn => "HELD_ON",
            FactField::MinutesReference => "MINUTES_REFERENCE",
            FactField::Signer => "SIGNER",
        }
    }

    fn is_date(self) -> bool {
        matches!(
            self,
            FactField::FiledOn | FactField::SubmittedOn | FactField::HeldOn
        )
    }
}

/// An event of the document as the log holds it: what a correction names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedStep {
    /// The event's sequence in the document's stream.
    pub sequence: u64,
    pub event_type: String,
    /// How many events of the same type the document had before it (0 for the first).
    pub occurrence: u32,
}

/// A correction of one recorded fact, as the `FactCorrected` event carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactCorrection {
    /// The corrected event's position in the log, its sequence in the document, its type, and
    /// which of the document's events of that type it is.
    pub position: i64,
    pub sequence: u64,
    pub event_type: String,
    pub occurrence: u32,
    pub field: FactField,
    pub old_value: String,
    pub new_value: String,
    pub reason: String,
    pub corrected_on: NaiveDate,
}

/// What the command carries: the event by position, the field, the new value as text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactCorrectionRequest {
    pub position: i64,
    pub field: FactField,
    pub value: String,
    pub reason: String,
    pub corrected_on: NaiveDate,
}

impl NormativeDocument {
    pub(super) async fn correct_fact(
        &self,
        request: FactCorrectionRequest,
        services: &dyn DocumentServices,
    ) -> Result<DocumentEvent, DomainError> {
        self.drafted("correctRecordedFact")?;
        let id = self.id.clone().unwrap_or_default();
        let FactCorrectionRequest {
            position,
            field,
            value,
            reason,
            corrected_on,
        } = request;
        check_text("reason", &reason, MAX_TEXT)?;
        let step = services
            .recorded_step(&id, position)
            .await?
            .ok_or_else(|| {
                DomainError::invalid(
                    "position",
                    format!("the document has no event at position {position}"),
                )
            })?;
        if step.event_type != field.event_type() {
            return Err(DomainError::invalid(
                "field",
                format!(
                    "{} is recorded by {}, not by the {} at position {position}",
                    field.as_str(),
                    field.event_type(),
                    step.event_type
                ),
            ));
        }
        let old_value = self.fact(field, step.occurrence).ok_or_else(|| {
            DomainError::invalid(
                "position",
                format!(
                    "the {} at position {position} is not in the document's state",
                    step.event_type
                ),
            )
        })?;
        let new_value = value.trim().to_owned();
        if field.is_date() {
            let day: NaiveDate = new_value.parse().map_err(|_| {
                DomainError::invalid(
                    "value",
                    format!("{} is a date (YYYY-MM-DD)", field.as_str()),
                )
            })?;
            if field == FactField::FiledOn
                && let Some(i) = &self.issuance
            {
                not_before("value", day, i.published_on, "publication")?;
            }
        } else {
            check_text("value", &new_value, MAX_SHORT)?;
        }
        if new_value == old_value {
            return Err(DomainError::invalid(
                "value",
                format!("{} is already {old_value}", field.as_str()),
            ));
        }
        Ok(DocumentEvent::FactCorrected(FactCorrection {
            position,
            sequence: step.sequence,
            event_type: step.event_type,
            occurrence: step.occurrence,
            field,
            old_value,
            new_value,
            reason,
            corrected_on,
        }))
    }

    /// The current value of `field` as recorded by the `occurrence`-th event of its type.
    fn fact(&self, field: FactField, occurrence: u32) -> Option<String> {
        let nth = occurrence as usize;
        let deliberation = || self.deliberations.get(nth);
        Some(match field {
            FactField::FiledOn => self
                .filings
                .iter()
                .find(|f| f.act == Some(occurrence))?
                .filed_on
                .to_string(),
            FactField::SubmittedOn => self.reviews.get(nth)?.submitted_on.to_string(),
            FactField::Meeting => deliberation()?.meeting.clone(),
            FactField::HeldOn => deliberation()?.held_on.to_string(),
            FactField::MinutesReference => deliberation()?
                .minutes_reference
                .clone()
                .unwrap_or_default(),
            FactField::Signer => self.issuance.as_ref()?.signer.clone(),
        })
    }

    /// Folds a correction into the state: the fact now reads the new value.
    pub(super) fn apply_fact_correction(&mut self, c: &FactCorrection) {
        let nth = c.occurrence as usize;
        let day = || c.new_value.parse::<NaiveDate>().ok();
        match c.field {
            FactField::FiledOn => {
                if let Some(on) = day() {
                    self.filings
                        .iter_mut()
                        .filter(|f| f.act == Some(c.occurrence))
                        .for_each(|f| f.filed_on = on);
                }
            }
            FactField::SubmittedOn => {
                if let (Some(r), Some(on)) = (self.reviews.get_mut(nth), day()) {
                    r.submitted_on = on;
                }
            }
            FactField::Meeting => {
                if let Some(d) = self.deliberations.get_mut(nth) {
                    d.meeting.clone_from(&c.new_value);
                }
            }
            FactField::HeldOn => {
                if let (Some(d), Some(on)) = (self.deliberations.get_mut(nth), day()) {
                    d.held_on = on;
                }
            }
            FactField::MinutesReference => {
                if let Some(d) = self.deliberations.get_mut(nth) {
                    d.minutes_reference = Some(c.new_value.clone());
                }
            }
            FactField::Signer => {
                if let Some(i) = self.issuance.as_mut() {
                    i.signer.clone_from(&c.new_value);
                }
            }
        }
        self.fact_corrections.push(c.clone());
    }
}
