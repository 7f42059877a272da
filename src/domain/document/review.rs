//! The legality review (合法性审核): submission, materials returned, the review, advisors'
//! opinions (法律顾问), its conclusion and the drafter's revision.

use chrono::NaiveDate;

use super::DocumentStatus as S;
use super::*;

impl NormativeDocument {
    pub(super) fn return_materials(
        &self,
        returned_on: NaiveDate,
        reason: String,
    ) -> Result<DocumentEvent, DomainError> {
        self.expect("returnMaterials", &[S::Submitted])?;
        check_text("reason", &reason, MAX_TEXT)?;
        Ok(DocumentEvent::MaterialsReturned(MaterialsReturn {
            returned_on,
            reason,
        }))
    }

    pub(super) fn start_review(
        &self,
        started_on: NaiveDate,
        due_on: NaiveDate,
    ) -> Result<DocumentEvent, DomainError> {
        self.expect("startReview", &[S::Submitted])?;
        if let Some(r) = self.review() {
            not_before("startedOn", started_on, r.submitted_on, "the submission")?;
        }
        not_before("dueOn", due_on, started_on, "the start of the review")?;
        Ok(DocumentEvent::ReviewStarted { started_on, due_on })
    }

    pub(super) fn add_advisor_opinion(
        &self,
        opinion: AdvisorOpinion,
    ) -> Result<DocumentEvent, DomainError> {
        self.expect(
            "addAdvisorOpinion",
            &[S::UnderReview, S::Revising, S::AwaitingDeliberation],
        )?;
        check_text("text", &opinion.text, MAX_TEXT)?;
        check_opt("conclusion", &opinion.conclusion, MAX_SHORT)?;
        if let Some(anchor) = &opinion.anchor {
            self.check_anchor("anchor", anchor)?;
        }
        Ok(DocumentEvent::AdvisorOpinionAdded(opinion))
    }

    pub(super) fn conclude_review(
        &self,
        outcome: ReviewOutcome,
        issues: Vec<IssueInput>,
        opinion: String,
        concluded_on: NaiveDate,
    ) -> Result<DocumentEvent, DomainError> {
        let draft = self.expect("concludeReview", &[S::UnderReview])?;
        check_text("opinion", &opinion, MAX_TEXT)?;
        if issues.len() > MAX_ITEMS {
            return Err(DomainError::invalid("issues", "at most 200 issues"));
        }
        for i in &issues {
            check_text("issues.text", &i.text, MAX_TEXT)?;
            check_opt("issues.clause", &i.clause, MAX_SHORT)?;
            if let Some(anchor) = &i.anchor {
                self.check_anchor("issues.anchor", anchor)?;
            }
        }
        if outcome != ReviewOutcome::Lawful && issues.is_empty() {
            return Err(DomainError::IssuesRequired {
                outcome: match outcome {
                    ReviewOutcome::MustRevise => "MUST_REVISE",
                    _ => "UNLAWFUL",
                },
            });
        }
        let review = self.review().expect("UNDER_REVIEW implies a review");
        if draft.is_major_decision && review.opinions.is_empty() {
            return Err(DomainError::AdvisorOpinionRequired);
        }
        if let Some(started) = review.started_on {
            not_before(
                "concludedOn",
                concluded_on,
                started,
                "the start of the review",
            )?;
        }
        Ok(DocumentEvent::ReviewConcluded {
            outcome,
            issues: issues
                .into_iter()
                .zip(1..)
                .map(|(i, number)| ReviewIssue {
                    number,
                    clause: i.clause,
                    text: i.text,
                    anchor: i.anchor,
                })
                .collect(),
            opinion,
            concluded_on,
            text_version: self.latest_text().map(|t| t.version),
        })
    }

    pub(super) fn submit_revision(
        &self,
        submitted_on: NaiveDate,
        responses: Vec<IssueResponse>,
    ) -> Result<DocumentEvent, DomainError> {
        self.expect("submitRevision", &[S::Revising])?;
        let conclusion = self
            .last_conclusion()
            .expect("REVISING implies a conclusion");
        check_responses(conclusion, &responses)?;
        self.check_response_clauses(conclusion, &responses)?;
        Ok(DocumentEvent::RevisionSubmitted {
            submitted_on,
            responses,
        })
    }

    /// A response points to a clause of the latest text; an adopted answer to an issue that
    /// was anchored in the text must say where the revised text answers it, once there is a
    /// text newer than the one reviewed.
    fn check_response_clauses(
        &self,
        conclusion: &ReviewConclusion,
        responses: &[IssueResponse],
    ) -> Result<(), DomainError> {
        let latest = self.latest_text();
        let revised = latest.is_some_and(|t| Some(t.version) > conclusion.text_version);
        for r in responses {
            let issue = conclusion
                .issues
                .iter()
                .find(|i| i.number == r.issue_number);
            match (&r.clause, latest) {
                (Some(clause), Some(t)) => self.check_anchor(
                    "responses.clause",
                    &Anchor {
                        version: t.version,
                        clause: clause.clone(),
                        quote: None,
                    },
                )?,
                (Some(_), None) => {
                    return Err(DomainError::invalid(
                        "responses.clause",
                        "the document has no text to point into",
                    ));
                }
                (None, _) if r.adopted && revised && issue.is_some_and(|i| i.anchor.is_some()) => {
                    return Err(DomainError::IssueResponsesIncomplete {
                        detail: format!(
                            "issue {} is anchored in the text and adopted: name the clause of text version {} that answers it",
                            r.issue_number,
                            latest.map_or(0, |t| t.version)
                        ),
                    });
                }
                (None, _) => {}
            }
        }
        Ok(())
    }

    /// A warning is considered once, in review, and only if the rules find it at that clause
    /// of that version.
    pub(super) fn consider_screening_warning(
        &self,
        c: ConsideredWarning,
        rules: &ScreeningRules,
    ) -> Result<DocumentEvent, DomainError> {
        self.expect(
            "considerScreeningWarning",
            &[
                S::Submitted,
                S::UnderReview,
                S::Revising,
                S::AwaitingDeliberation,
            ],
        )?;
        check_text("reason", &c.reason, MAX_TEXT)?;
        let clauses = self.clauses_of(c.version).ok_or_else(|| {
            DomainError::invalid(
                "version",
                format!("the document has no text version {}", c.version),
            )
        })?;
        let found = crate::domain::screening::screen(rules, &clauses)
            .iter()
            .any(|h| h.clause == c.clause && h.rule.code == c.code);
        if !found {
            return Err(DomainError::invalid(
                "code",
                format!(
                    "no screening warning {} at {} of text version {}",
                    c.code, c.clause, c.version
                ),
            ));
        }
        if self
            .considered_warnings
            .iter()
            .any(|k| k.version == c.version && k.clause == c.clause && k.code == c.code)
        {
            return Err(DomainError::invalid(
                "code",
                "this warning was already considered",
            ));
        }
        Ok(DocumentEvent::ScreeningWarningConsidered(c))
    }

    pub(super) fn confirm_revised_text(
        &self,
        to_version: Option<u32>,
        accepted: Vec<String>,
        confirmed_on: NaiveDate,
    ) -> Result<DocumentEvent, DomainError> {
        self.expect(
            "confirmRevisedText",
            &[S::UnderReview, S::AwaitingDeliberation],
        )?;
        check_list("accepted", &accepted, MAX_SHORT)?;
        let reviewed = self
            .reviewed_text()
            .ok_or_else(|| DomainError::invalid("toVersion", "the review concluded on no text"))?;
        let latest = self.latest_text().map_or(0, |t| t.version);
        let to = to_version.unwrap_or(latest);
        let changed = self.changed_clauses(reviewed.version, to).ok_or_else(|| {
            DomainError::invalid(
                "toVersion",
                format!("the document has no text version {to}"),
            )
        })?;
        if changed.is_empty() {
            return Err(DomainError::invalid(
                "toVersion",
                format!(
                    "text version {to} has no change since the reviewed version {}",
                    reviewed.version
                ),
            ));
        }
        let missing: Vec<&str> = changed
            .iter()
            .filter(|c| !accepted.contains(c))
            .map(String::as_str)
            .collect();
        let unknown: Vec<&str> = accepted
            .iter()
            .filter(|a| !changed.contains(a))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() || !unknown.is_empty() {
            return Err(DomainError::invalid(
                "accepted",
                format!(
                    "list exactly the changed clauses of version {to} since version {}: {}; missing {:?}, not changed {:?}",
                    reviewed.version,
                    changed.join(", "),
                    missing,
                    unknown
                ),
            ));
        }
        Ok(DocumentEvent::RevisedTextConfirmed(TextConfirmation {
            from_version: reviewed.version,
            to_version: to,
            accepted,
            confirmed_on,
        }))
    }
}

/// Every issue answered exactly once; a reason for each one not adopted.
fn check_responses(
    conclusion: &ReviewConclusion,
    responses: &[IssueResponse],
) -> Result<(), DomainError> {
    let incomplete = |detail: String| DomainError::IssueResponsesIncomplete { detail };
    for r in responses {
        check_opt("responses.reason", &r.reason, MAX_TEXT)?;
        if !conclusion.issues.iter().any(|i| i.number == r.issue_number) {
            return Err(incomplete(format!("there is no issue {}", r.issue_number)));
        }
        if !r.adopted && r.reason.as_deref().is_none_or(|s| s.trim().is_empty()) {
            return Err(incomplete(format!(
                "issue {} is not adopted and has no reason",
                r.issue_number
            )));
        }
    }
    for issue in &conclusion.issues {
        let n = responses
            .iter()
            .filter(|r| r.issue_number == issue.number)
            .count();
        if n != 1 {
            return Err(incomplete(format!(
                "issue {} is answered {n} times",
                issue.number
            )));
        }
    }
    Ok(())
}
