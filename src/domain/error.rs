//! Every refusal the domain can give, each with a stable rule name that clients can match on
//! (it reaches GraphQL as `extensions.rule`). Messages are for people; rule names are the API.

use crate::domain::document_number::DocumentNumberError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// A field's value is malformed (empty title, dates out of order…): the client's mistake.
    #[error("{field}: {reason}")]
    InvalidInput { field: &'static str, reason: String },
    #[error("{command} is not allowed while the {what} is {state}")]
    InvalidTransition {
        command: &'static str,
        what: &'static str,
        state: String,
    },
    #[error("issuing body {code} is already listed")]
    IssuingBodyAlreadyListed { code: String },
    #[error("issuing body {code} is not listed on {on}")]
    IssuingBodyNotListed { code: String, on: String },
    #[error(
        "a {kind} can never be listed as an issuing body (议事协调机构、临时机构、内设机构、派出机构、受委托执法机构)"
    )]
    IssuingBodyIneligible { kind: String },
    #[error("issuing body {code} already has agency code {agency_code}")]
    AgencyCodeAlreadyPresent { code: String, agency_code: String },
    #[error("agency code {agency_code} does not belong to issuing body {code}")]
    AgencyCodeNotOfBody { code: String, agency_code: String },
    /// A document is deliberated by its own body's meeting: a government's by its executive
    /// or plenary meeting, a department's by its office meeting, a township's by its head's.
    #[error("a document of a {kind} is deliberated by {expected}, not by {given}")]
    WrongMeeting {
        kind: String,
        expected: String,
        given: String,
    },
    /// 谁制定、谁清理 and the government decides on its own documents: a result that repeals,
    /// amends or declares invalid a government document needs its approval first.
    #[error(
        "the result ends or amends a government document ({entry}): the government approves it (approveCleanupResult) before it is published"
    )]
    GovernmentApprovalRequired { entry: String },
    /// Filing follows the body's listing: a document is filed with exactly the authorities
    /// listed for its body (备案机关), and an outcome comes from an authority it is filed with.
    #[error("{detail}")]
    WrongFilingAuthority { detail: String },
    #[error("document {id} already exists")]
    DocumentAlreadyExists { id: String },
    #[error(
        "no deliberation without a LAWFUL legality review, or a MUST_REVISE one with every issue answered"
    )]
    ReviewNotLawful,
    #[error("a document can be issued only after the deliberation approved it")]
    NotApproved,
    #[error(
        "document number {number} is already taken by document {holder}; numbers are never reused"
    )]
    DocumentNumberTaken { number: String, holder: String },
    #[error(
        "registration number {number} is already held by document {holder}; registration numbers are never reused"
    )]
    RegistrationNumberTaken { number: String, holder: String },
    #[error(
        "valid_until is more than {max_years} years after effective_on; give a reason to override"
    )]
    ValidityTooLong { max_years: u8 },
    #[error(
        "a major administrative decision (重大行政决策) needs a legal advisor's opinion before the review concludes"
    )]
    AdvisorOpinionRequired,
    /// "Issued = reviewed": the text deliberated or issued is not the text the review found
    /// lawful (or whose changes the legal office confirmed).
    #[error("{detail}")]
    TextNotReviewed { detail: String },
    /// A correction (勘误) changes more than a correction may; it is an amendment.
    #[error("{detail}")]
    CorrectionTooLarge { detail: String },
    #[error("{outcome} needs at least one itemised issue")]
    IssuesRequired { outcome: &'static str },
    #[error(
        "the revision must answer every review issue exactly once, with a reason for each one not adopted: {detail}"
    )]
    IssueResponsesIncomplete { detail: String },
    #[error("{0}")]
    InvalidDocumentNumber(#[from] DocumentNumberError),
    #[error(
        "a certification item can be retained only with a basis in a law, a regulation or a State Council decision (法律、法规、国务院决定)"
    )]
    BasisInsufficient,
    #[error("a cancelled certification item needs a replacement method")]
    ReplacementRequired,
    #[error(
        "a written commitment (告知承诺) is excluded for this item (high-risk area, or refused when it was retained)"
    )]
    CommitmentExcluded,
    #[error("the document is in force until {valid_until}; it cannot expire before then")]
    NotYetExpired { valid_until: String },
    #[error(
        "the document's validity ended on {valid_until}; republication must come before expiry"
    )]
    AlreadyExpired { valid_until: String },
    #[error("{what} is not in this cleanup campaign's inventory")]
    NotInInventory { what: String },
    #[error("the decision on {what} is already final; exactly one final decision per entry")]
    DecisionAlreadyFinal { what: String },
    #[error("{decision} is not a decision for {kind}")]
    DecisionNotApplicable {
        decision: &'static str,
        kind: &'static str,
    },
    #[error("{missing} inventory entries have no final decision yet")]
    DecisionsIncomplete { missing: usize },
    #[error("the cleanup result has not been applied to every document and item yet")]
    DecisionsNotApplied,
    #[error("the cleanup scope is empty: nothing is in force in scope at the cut-off date")]
    EmptyInventory,
    #[error("command id {command_id} was already used for a different request")]
    CommandIdReused { command_id: String },
    /// A service the aggregate consulted (the event log) failed; not the client's fault.
    #[error("a service needed by the command failed: {0}")]
    ServiceUnavailable(String),
}

impl DomainError {
    /// The stable rule name (`extensions.rule`).
    pub fn rule(&self) -> &'static str {
        match self {
            DomainError::InvalidInput { .. } => "INVALID_INPUT",
            DomainError::InvalidTransition { .. } => "INVALID_TRANSITION",
            DomainError::IssuingBodyAlreadyListed { .. } => "ISSUING_BODY_ALREADY_LISTED",
            DomainError::IssuingBodyNotListed { .. } => "ISSUING_BODY_NOT_LISTED",
            DomainError::IssuingBodyIneligible { .. } => "ISSUING_BODY_INELIGIBLE",
            DomainError::AgencyCodeAlreadyPresent { .. } => "AGENCY_CODE_ALREADY_PRESENT",
            DomainError::AgencyCodeNotOfBody { .. } => "AGENCY_CODE_NOT_OF_BODY",
            DomainError::DocumentAlreadyExists { .. } => "DOCUMENT_ALREADY_EXISTS",
            DomainError::WrongMeeting { .. } => "WRONG_MEETING",
            DomainError::WrongFilingAuthority { .. } => "WRONG_FILING_AUTHORITY",
            DomainError::GovernmentApprovalRequired { .. } => "GOVERNMENT_APPROVAL_REQUIRED",
            DomainError::ReviewNotLawful => "REVIEW_NOT_LAWFUL",
            DomainError::TextNotReviewed { .. } => "TEXT_NOT_REVIEWED",
            DomainError::CorrectionTooLarge { .. } => "CORRECTION_TOO_LARGE",
            DomainError::NotApproved => "NOT_APPROVED",
            DomainError::DocumentNumberTaken { .. } => "DOCUMENT_NUMBER_TAKEN",
            DomainError::RegistrationNumberTaken { .. } => "REGISTRATION_NUMBER_TAKEN",
            DomainError::ValidityTooLong { .. } => "VALIDITY_TOO_LONG",
            DomainError::AdvisorOpinionRequired => "ADVISOR_OPINION_REQUIRED",
            DomainError::IssuesRequired { .. } => "ISSUES_REQUIRED",
            DomainError::IssueResponsesIncomplete { .. } => "ISSUE_RESPONSES_INCOMPLETE",
            DomainError::InvalidDocumentNumber(_) => "INVALID_DOCUMENT_NUMBER",
            DomainError::BasisInsufficient => "BASIS_INSUFFICIENT",
            DomainError::ReplacementRequired => "REPLACEMENT_REQUIRED",
            DomainError::CommitmentExcluded => "COMMITMENT_EXCLUDED",
            DomainError::NotYetExpired { .. } => "NOT_YET_EXPIRED",
            DomainError::AlreadyExpired { .. } => "ALREADY_EXPIRED",
            DomainError::NotInInventory { .. } => "NOT_IN_INVENTORY",
            DomainError::DecisionAlreadyFinal { .. } => "DECISION_ALREADY_FINAL",
            DomainError::DecisionNotApplicable { .. } => "DECISION_NOT_APPLICABLE",
            DomainError::DecisionsIncomplete { .. } => "DECISIONS_INCOMPLETE",
            DomainError::DecisionsNotApplied => "DECISIONS_NOT_APPLIED",
            DomainError::EmptyInventory => "EMPTY_INVENTORY",
            DomainError::CommandIdReused { .. } => "COMMAND_ID_REUSED",
            DomainError::ServiceUnavailable(_) => "SERVICE_UNAVAILABLE",
        }
    }

    /// Malformed input rather than a broken rule: reported as BAD_USER_INPUT.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            DomainError::InvalidInput { .. } | DomainError::InvalidDocumentNumber(_)
        )
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        DomainError::InvalidInput {
            field,
            reason: reason.into(),
        }
    }
}

/// Checks a required free-text field: trimmed, non-empty, bounded, no control characters.
pub(crate) fn check_text(
    field: &'static str,
    value: &str,
    max_chars: usize,
) -> Result<(), DomainError> {
    if value.trim().is_empty() {
        return Err(DomainError::invalid(field, "must not be empty"));
    }
    check_optional_text(field, value, max_chars)
}

/// Like [`check_text`] but an empty value is allowed.
pub(crate) fn check_optional_text(
    field: &'static str,
    value: &str,
    max_chars: usize,
) -> Result<(), DomainError> {
    if value.chars().count() > max_chars {
        return Err(DomainError::invalid(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(DomainError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    // Bidirectional embeddings, overrides and isolates make a text display other than it
    // reads (a title that shows one 文号 and holds another); they have no place in records.
    if value
        .chars()
        .any(|c| matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
    {
        return Err(DomainError::invalid(
            field,
            "must not contain bidirectional control characters",
        ));
    }
    Ok(())
}
