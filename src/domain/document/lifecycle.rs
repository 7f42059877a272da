//! The document lifecycle as data: which event moves a document from which status to which.
//!
//! The guards in the phase files decide; this table states what they allow, so that a
//! picture of the lifecycle (the console's timeline) is drawn from the domain rather than by
//! hand. A test walks every command from every reachable status and checks that the status
//! changes the aggregate makes are exactly these rows, so the table cannot drift from the
//! guards. Not in the table: events that keep the status (opinions, filings, republication,
//! corrections…), and `DocumentImported`, which enters a document in whatever status its old
//! catalogue recorded.

use super::DocumentStatus as S;
use super::DocumentStatus;

/// One row: `event` (with one of `outcomes`, when the event's outcome decides) moves a
/// document in any of `from` to `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub from: &'static [DocumentStatus],
    pub event: &'static str,
    /// The outcomes that select this row, for events whose outcome decides the status;
    /// empty when any does.
    pub outcomes: &'static [&'static str],
    pub to: DocumentStatus,
}

/// The status of a newly drafted document.
pub const START: DocumentStatus = S::Drafting;

const OPEN_DRAFTS: &[DocumentStatus] = &[
    S::Drafting,
    S::Consultation,
    S::Submitted,
    S::UnderReview,
    S::Revising,
    S::AwaitingDeliberation,
    S::Approved,
];

/// Deliberation follows a LAWFUL conclusion, or a MUST_REVISE one answered in a revision.
const DELIBERABLE: &[DocumentStatus] = &[S::AwaitingDeliberation, S::UnderReview];

const fn row(
    from: &'static [DocumentStatus],
    event: &'static str,
    outcomes: &'static [&'static str],
    to: DocumentStatus,
) -> Transition {
    Transition {
        from,
        event,
        outcomes,
        to,
    }
}

/// Every status change, in lifecycle order.
pub const TRANSITIONS: &[Transition] = &[
    row(&[S::Drafting], "ConsultationOpened", &[], S::Consultation),
    row(&[S::Consultation], "ConsultationClosed", &[], S::Drafting),
    row(&[S::Drafting], "SubmittedForReview", &[], S::Submitted),
    row(&[S::Submitted], "MaterialsReturned", &[], S::Drafting),
    row(&[S::Submitted], "ReviewStarted", &[], S::UnderReview),
    row(
        &[S::UnderReview],
        "ReviewConcluded",
        &["LAWFUL"],
        S::AwaitingDeliberation,
    ),
    row(
        &[S::UnderReview],
        "ReviewConcluded",
        &["MUST_REVISE"],
        S::Revising,
    ),
    row(
        &[S::UnderReview],
        "ReviewConcluded",
        &["UNLAWFUL"],
        S::Drafting,
    ),
    row(&[S::Revising], "RevisionSubmitted", &[], S::UnderReview),
    row(
        DELIBERABLE,
        "Deliberated",
        &["APPROVED", "APPROVED_WITH_CHANGES"],
        S::Approved,
    ),
    row(DELIBERABLE, "Deliberated", &["REJECTED"], S::Rejected),
    row(DELIBERABLE, "Deliberated", &["DEFERRED"], S::Drafting),
    row(&[S::Approved], "Issued", &[], S::Issued),
    row(&[S::Issued], "FilingReviewed", &["REVOKED"], S::Revoked),
    row(&[S::Issued], "Expired", &[], S::Expired),
    row(&[S::Issued], "Repealed", &[], S::Repealed),
    row(&[S::Issued], "DeclaredInvalid", &[], S::DeclaredInvalid),
    row(&[S::Issued], "Superseded", &[], S::Superseded),
    row(OPEN_DRAFTS, "Withdrawn", &[], S::Withdrawn),
];

/// Every status in the order a reader meets it: the start, then each row's target in table
/// order (a layout for pictures, and the set of statuses the table reaches).
pub fn statuses_in_order() -> Vec<DocumentStatus> {
    let mut out = vec![START];
    for t in TRANSITIONS {
        if !out.contains(&t.to) {
            out.push(t.to);
        }
    }
    out
}

/// The picture's column of each status: the longest way to it from the start along forward
/// rows (those that lead to a status met later in [`statuses_in_order`]), so the main line
/// reads left to right and the ways back (to drafting, from a revision) point left.
pub fn depth(status: DocumentStatus) -> Option<usize> {
    let order = statuses_in_order();
    let place = |s: DocumentStatus| order.iter().position(|o| *o == s);
    let mut depths = vec![0usize; order.len()];
    // Order is topological for forward rows, so one pass in order settles every depth.
    for (i, at) in order.iter().enumerate() {
        for t in TRANSITIONS.iter().filter(|t| t.from.contains(at)) {
            if let Some(j) = place(t.to).filter(|j| *j > i) {
                depths[j] = depths[j].max(depths[i] + 1);
            }
        }
    }
    place(status).map(|i| depths[i])
}

/// The statuses a document passed through: folding its events in order, the sequence
/// (1-based) of each event that changed the status, with the status it led to.
pub fn path(events: impl IntoIterator<Item = super::DocumentEvent>) -> Vec<(u64, DocumentStatus)> {
    let mut document = super::NormativeDocument::default();
    let mut out: Vec<(u64, DocumentStatus)> = vec![];
    for (i, event) in events.into_iter().enumerate() {
        document.evolve(event);
        if out.last().is_none_or(|(_, s)| *s != document.status) {
            out.push((i as u64 + 1, document.status));
        }
    }
    out
}

/// The status the API and the read model call `name` (SCREAMING_CASE).
pub fn status_named(name: &str) -> Option<DocumentStatus> {
    statuses_in_order().into_iter().find(|s| s.as_str() == name)
}
