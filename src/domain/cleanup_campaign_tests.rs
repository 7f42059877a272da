//! Given/when/then tests of the cleanup campaign, without a database.

use super::*;
use cqrs_es::test::TestFramework;

/// In-memory inventory: one document and two items, or nothing.
struct Inventory(Vec<InventoryEntry>);

#[async_trait]
impl CampaignServices for Inventory {
    async fn inventory(&self, _: &CleanupScope) -> Result<Vec<InventoryEntry>, DomainError> {
        Ok(self.0.clone())
    }
    /// NCX-GOV is the county government; every other body is a department.
    async fn is_government_body(&self, code: &str) -> Result<bool, DomainError> {
        Ok(code == "NCX-GOV")
    }
    /// 南府发〔2017〕5号 is the inventory's document.
    async fn document_number_holder(
        &self,
        number: &DocumentNumber,
    ) -> Result<Option<String>, DomainError> {
        Ok((number.to_string() == "南府发〔2017〕5号").then(|| "doc-1".to_owned()))
    }
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn entries() -> Vec<InventoryEntry> {
    vec![
        InventoryEntry {
            kind: EntryKind::Document,
            id: "doc-1".into(),
            label: "南府发〔2017〕5号 关于…的通知".into(),
            body_code: Some("NCX-GOV".into()),
            basis_level: None,
            commitment_excluded: false,
        },
        InventoryEntry {
            kind: EntryKind::CertificationItem,
            id: "item-law".into(),
            label: "烟花爆竹经营许可证明".into(),
            body_code: None,
            basis_level: Some(BasisLevel::Regulation),
            commitment_excluded: true,
        },
        InventoryEntry {
            kind: EntryKind::CertificationItem,
            id: "item-rule".into(),
            label: "无犯罪记录证明".into(),
            body_code: None,
            basis_level: Some(BasisLevel::NormativeDocument),
            commitment_excluded: false,
        },
    ]
}

fn launch() -> Launch {
    Launch {
        notice_number: "南司字〔2019〕12号".into(),
        title: "关于开展证明事项清理工作的通知".into(),
        kind: CampaignKind::Special,
        organiser: "南昌县司法局".into(),
        scope: CleanupScope {
            citing: None,
            body_codes: vec![],
            cut_off: d("2019-06-30"),
            classes: vec![],
            documents: true,
            certification_items: true,
        },
        deadline: d("2019-08-31"),
        launched_on: d("2019-07-19"),
    }
}

fn given(
    events: Vec<CleanupCampaignEvent>,
) -> cqrs_es::test::AggregateTestExecutor<CleanupCampaign> {
    TestFramework::<CleanupCampaign>::with(Box::new(Inventory(entries()))).given(events)
}

fn refused(events: Vec<CleanupCampaignEvent>, command: CleanupCampaignCommand) -> &'static str {
    given(events)
        .when(command)
        .inspect_result()
        .expect_err("the command should be refused")
        .rule()
}

fn launched() -> Vec<CleanupCampaignEvent> {
    vec![
        CleanupCampaignEvent::CleanupLaunched {
            id: "c-1".into(),
            launch: launch(),
        },
        CleanupCampaignEvent::InventoryCompiled { entries: entries() },
    ]
}

fn proposal(entry: &str, decision: Decision) -> Proposal {
    Proposal {
        entry_id: entry.into(),
        decision,
        grounds: "依据已废止".into(),
        proposed_on: d("2019-08-01"),
        revision_deadline: (decision == Decision::Amend).then(|| d("2019-11-30")),
        replacement_method: (decision == Decision::Cancel).then(|| "告知承诺".into()),
        commitment_allowed: (decision == Decision::Retain).then_some(false),
        commitment_reason: (decision == Decision::Retain).then(|| "公共安全".into()),
    }
}

fn review(entry: &str, accepted: bool) -> DecisionReview {
    DecisionReview {
        entry_id: entry.into(),
        accepted,
        comments: (!accepted).then(|| "理由不充分".into()),
        reviewed_on: d("2019-08-10"),
    }
}

/// Every entry proposed and accepted.
/// Every decision final, and the government's approval of the result (doc-1, a government
/// document, is repealed).
fn decided() -> Vec<CleanupCampaignEvent> {
    let mut e = decided_unapproved();
    e.push(CleanupCampaignEvent::ResultApproved(approval(
        MeetingType::ExecutiveMeeting,
    )));
    e
}

fn approval(meeting_type: MeetingType) -> ResultApproval {
    ResultApproval {
        approved_on: d("2019-09-20"),
        meeting_type,
        meeting: "县政府第15次常务会议".into(),
    }
}

fn decided_unapproved() -> Vec<CleanupCampaignEvent> {
    let mut e = launched();
    for (entry, decision) in [
        ("doc-1", Decision::Repeal),
        ("item-law", Decision::Retain),
        ("item-rule", Decision::Cancel),
    ] {
        e.push(CleanupCampaignEvent::DecisionProposed(proposal(
            entry, decision,
        )));
        e.push(CleanupCampaignEvent::DecisionReviewed(review(entry, true)));
    }
    e
}

fn publication() -> Publication {
    Publication {
        result_number: DocumentNumber::parse("南府办发〔2019〕80号").unwrap(),
        published_on: d("2019-09-30"),
    }
}

#[test]
fn launching_compiles_the_inventory_in_the_same_append() {
    given(vec![])
        .when(CleanupCampaignCommand::Launch {
            id: "c-1".into(),
            launch: launch(),
        })
        .then_expect_events(launched());
    let empty = TestFramework::<CleanupCampaign>::with(Box::new(Inventory(vec![])))
        .given_no_previous_events()
        .when(CleanupCampaignCommand::Launch {
            id: "c-1".into(),
            launch: launch(),
        })
        .inspect_result()
        .unwrap_err();
    assert_eq!(empty.rule(), "EMPTY_INVENTORY");
    let mut neither = launch();
    neither.scope.documents = false;
    neither.scope.certification_items = false;
    assert_eq!(
        refused(
            vec![],
            CleanupCampaignCommand::Launch {
                id: "c-1".into(),
                launch: neither
            }
        ),
        "INVALID_INPUT"
    );
}

#[test]
fn proposals_must_fit_their_entry() {
    let propose =
        |entry: &str, decision| CleanupCampaignCommand::ProposeDecision(proposal(entry, decision));
    assert_eq!(
        refused(launched(), propose("doc-1", Decision::Retain)),
        "DECISION_NOT_APPLICABLE"
    );
    assert_eq!(
        refused(launched(), propose("item-law", Decision::Repeal)),
        "DECISION_NOT_APPLICABLE"
    );
    assert_eq!(
        refused(launched(), propose("nowhere", Decision::Repeal)),
        "NOT_IN_INVENTORY"
    );
    // Only a law, regulation or State Council decision lets an item be retained.
    assert_eq!(
        refused(launched(), propose("item-rule", Decision::Retain)),
        "BASIS_INSUFFICIENT"
    );
    // A cancellation needs what replaces the certificate; an amendment needs a deadline.
    let mut cancel = proposal("item-rule", Decision::Cancel);
    cancel.replacement_method = Some("  ".into());
    assert_eq!(
        refused(launched(), CleanupCampaignCommand::ProposeDecision(cancel)),
        "REPLACEMENT_REQUIRED"
    );
    let mut amend = proposal("doc-1", Decision::Amend);
    amend.revision_deadline = None;
    assert_eq!(
        refused(launched(), CleanupCampaignCommand::ProposeDecision(amend)),
        "INVALID_INPUT"
    );
    // 告知承诺 is excluded for a high-risk item.
    let mut retain = proposal("item-law", Decision::Retain);
    retain.commitment_allowed = Some(true);
    assert_eq!(
        refused(launched(), CleanupCampaignCommand::ProposeDecision(retain)),
        "COMMITMENT_EXCLUDED"
    );
    given(launched())
        .when(propose("doc-1", Decision::Amend))
        .then_expect_events(vec![CleanupCampaignEvent::DecisionProposed(proposal(
            "doc-1",
            Decision::Amend,
        ))]);
}

#[test]
fn exactly_one_final_decision_per_entry() {
    let mut proposed = launched();
    proposed.push(CleanupCampaignEvent::DecisionProposed(proposal(
        "doc-1",
        Decision::Continue,
    )));
    // A refusal needs its reason, and sends the entry back for a new proposal.
    let mut no_reason = review("doc-1", false);
    no_reason.comments = None;
    assert_eq!(
        refused(
            proposed.clone(),
            CleanupCampaignCommand::ReviewDecision(no_reason)
        ),
        "INVALID_INPUT"
    );
    let mut refused_once = proposed.clone();
    refused_once.push(CleanupCampaignEvent::DecisionReviewed(review(
        "doc-1", false,
    )));
    assert_eq!(
        refused(
            refused_once.clone(),
            CleanupCampaignCommand::ReviewDecision(review("doc-1", true))
        ),
        "INVALID_TRANSITION",
        "nothing pending after a refusal"
    );
    given(refused_once)
        .when(CleanupCampaignCommand::ProposeDecision(proposal(
            "doc-1",
            Decision::Repeal,
        )))
        .then_expect_events(vec![CleanupCampaignEvent::DecisionProposed(proposal(
            "doc-1",
            Decision::Repeal,
        ))]);
    // Once accepted, the decision is final: no new proposal, no second review.
    let mut accepted = proposed;
    accepted.push(CleanupCampaignEvent::DecisionReviewed(review(
        "doc-1", true,
    )));
    assert_eq!(
        refused(
            accepted.clone(),
            CleanupCampaignCommand::ProposeDecision(proposal("doc-1", Decision::Repeal))
        ),
        "DECISION_ALREADY_FINAL"
    );
    assert_eq!(
        refused(
            accepted,
            CleanupCampaignCommand::ReviewDecision(review("doc-1", true))
        ),
        "DECISION_ALREADY_FINAL"
    );
}

/// A result is published under a 文号 no document (and no other result) holds: the claims
/// are one table.
#[test]
fn a_result_cannot_take_a_documents_number() {
    let taken = Publication {
        result_number: DocumentNumber::parse("南府发〔2017〕5号").unwrap(),
        published_on: d("2019-09-30"),
    };
    assert_eq!(
        refused(decided(), CleanupCampaignCommand::PublishResult(taken)),
        "DOCUMENT_NUMBER_TAKEN"
    );
}

/// The legal office alone never ends a government's document: a result that repeals it is
/// published only after the government approved the result at its own meeting, once, with
/// every decision final. A department's documents need no such approval.
#[test]
fn a_result_ending_a_government_document_needs_the_governments_approval() {
    let publish = CleanupCampaignCommand::PublishResult(publication());
    assert_eq!(
        refused(decided_unapproved(), publish.clone()),
        "GOVERNMENT_APPROVAL_REQUIRED"
    );
    let approve = |t| CleanupCampaignCommand::ApproveResult(approval(t));
    assert_eq!(
        refused(
            decided_unapproved(),
            approve(MeetingType::DepartmentMeeting)
        ),
        "WRONG_MEETING"
    );
    assert_eq!(
        refused(launched(), approve(MeetingType::ExecutiveMeeting)),
        "DECISIONS_INCOMPLETE"
    );
    given(decided_unapproved())
        .when(approve(MeetingType::PlenaryMeeting))
        .then_expect_events(vec![CleanupCampaignEvent::ResultApproved(approval(
            MeetingType::PlenaryMeeting,
        ))]);
    assert_eq!(
        refused(decided(), approve(MeetingType::ExecutiveMeeting)),
        "INVALID_TRANSITION",
        "approved once"
    );
    // The same repeal of a department's document: no approval needed.
    let department: Vec<CleanupCampaignEvent> = decided_unapproved()
        .into_iter()
        .map(|e| match e {
            CleanupCampaignEvent::InventoryCompiled { mut entries } => {
                for entry in &mut entries {
                    if entry.body_code.is_some() {
                        entry.body_code = Some("NCX-WATER".into());
                    }
                }
                CleanupCampaignEvent::InventoryCompiled { entries }
            }
            other => other,
        })
        .collect();
    given(department)
        .when(publish)
        .then_expect_events(vec![CleanupCampaignEvent::ResultPublished(publication())]);
}

#[test]
fn publishing_needs_every_decision_and_closing_needs_them_applied() {
    let publish = CleanupCampaignCommand::PublishResult(publication());
    // Two of three entries undecided.
    let mut partial = launched();
    partial.push(CleanupCampaignEvent::DecisionProposed(proposal(
        "doc-1",
        Decision::Repeal,
    )));
    partial.push(CleanupCampaignEvent::DecisionReviewed(review(
        "doc-1", true,
    )));
    let err = given(partial)
        .when(publish.clone())
        .inspect_result()
        .unwrap_err();
    assert_eq!(err, DomainError::DecisionsIncomplete { missing: 2 });
    given(decided())
        .when(publish.clone())
        .then_expect_events(vec![CleanupCampaignEvent::ResultPublished(publication())]);

    let mut published = decided();
    published.push(CleanupCampaignEvent::ResultPublished(publication()));
    assert_eq!(refused(published.clone(), publish), "INVALID_TRANSITION");
    let close = CleanupCampaignCommand::Close {
        closed_on: d("2019-12-31"),
    };
    assert_eq!(
        refused(published.clone(), close.clone()),
        "DECISIONS_NOT_APPLIED"
    );
    let applied = CleanupCampaignEvent::DecisionsApplied {
        applied_on: d("2019-09-30"),
    };
    given(published.clone())
        .when(CleanupCampaignCommand::RecordApplied {
            applied_on: d("2019-09-30"),
        })
        .then_expect_events(vec![applied.clone()]);
    published.push(applied);
    // A second process manager recording the same: nothing written.
    given(published.clone())
        .when(CleanupCampaignCommand::RecordApplied {
            applied_on: d("2019-10-01"),
        })
        .then_expect_events(vec![]);
    given(published.clone())
        .when(CleanupCampaignCommand::ReportToSuperior(SuperiorReport {
            reported_on: d("2019-10-08"),
            to: "南昌市人民政府".into(),
            reference: None,
        }))
        .then_expect_events(vec![CleanupCampaignEvent::ReportedToSuperior(
            SuperiorReport {
                reported_on: d("2019-10-08"),
                to: "南昌市人民政府".into(),
                reference: None,
            },
        )]);
    given(published)
        .when(close)
        .then_expect_events(vec![CleanupCampaignEvent::CleanupClosed {
            closed_on: d("2019-12-31"),
        }]);
}

fn failure(entry: &str, rule: &str) -> EntryFailure {
    EntryFailure {
        entry_id: entry.into(),
        rule: rule.into(),
        reason: "the certification item is CANCELLED".into(),
        failed_on: d("2019-09-30"),
    }
}

#[test]
fn a_refused_entry_is_recorded_once_and_only_after_publication() {
    let mut published = decided();
    published.push(CleanupCampaignEvent::ResultPublished(publication()));
    let record =
        || CleanupCampaignCommand::RecordEntryFailure(failure("item-law", "INVALID_TRANSITION"));
    given(published.clone())
        .when(record())
        .then_expect_events(vec![CleanupCampaignEvent::EntryApplicationFailed(failure(
            "item-law",
            "INVALID_TRANSITION",
        ))]);
    // The same refusal met again by a re-run writes nothing.
    let mut recorded = published.clone();
    recorded.push(CleanupCampaignEvent::EntryApplicationFailed(failure(
        "item-law",
        "INVALID_TRANSITION",
    )));
    given(recorded.clone())
        .when(record())
        .then_expect_events(vec![]);
    // Nothing to apply before publication; no such entry.
    assert_eq!(refused(decided(), record()), "INVALID_TRANSITION");
    assert_eq!(
        refused(
            published,
            CleanupCampaignCommand::RecordEntryFailure(failure("nope", "INVALID_TRANSITION"))
        ),
        "NOT_IN_INVENTORY"
    );
    // The failure stays on the entry after the campaign is applied.
    let mut state = CleanupCampaign::default();
    for e in recorded {
        state.apply(e);
    }
    state.apply(CleanupCampaignEvent::DecisionsApplied {
        applied_on: d("2019-09-30"),
    });
    assert_eq!(state.failed(), 1);
    assert_eq!(
        state
            .entry("item-law")
            .unwrap()
            .failure
            .as_ref()
            .unwrap()
            .rule,
        "INVALID_TRANSITION"
    );
}
