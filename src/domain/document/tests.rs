//! Given/when/then tests of every document transition and refusal, without a database.

use super::*;
use crate::domain::issuing_body::{IssuingBodyEvent, IssuingBodyKind, IssuingBodyListing};
use cqrs_es::DomainEvent;
use cqrs_es::test::TestFramework;
use std::collections::HashMap;

/// In-memory stand-in for the event-log services: one listed body, a set of taken numbers.
struct Ledger {
    bodies: HashMap<String, IssuingBody>,
    numbers: HashMap<String, String>,
}

#[async_trait]
impl DocumentServices for Ledger {
    async fn issuing_body(&self, code: &str) -> Result<Option<IssuingBody>, DomainError> {
        Ok(self.bodies.get(code).cloned())
    }
    async fn document_number_holder(
        &self,
        number: &DocumentNumber,
    ) -> Result<Option<String>, DomainError> {
        Ok(self.numbers.get(&number.to_string()).cloned())
    }
    async fn registration_number_holder(
        &self,
        number: &str,
    ) -> Result<Option<String>, DomainError> {
        Ok(self.numbers.get(number).cloned())
    }
    /// The fixtures' log: `filed_with_both` at positions 101 to 107 (position 100 + its
    /// sequence), and a second filing at 109.
    async fn recorded_step(
        &self,
        document_id: &str,
        position: i64,
    ) -> Result<Option<RecordedStep>, DomainError> {
        let types = [
            "Drafted",
            "SubmittedForReview",
            "ReviewStarted",
            "ReviewConcluded",
            "Deliberated",
            "Issued",
            "FiledForRecord",
            "FilingReviewed",
            "FiledForRecord",
        ];
        let sequence = position - 100;
        Ok(
            (document_id == ID && (1..=types.len() as i64).contains(&sequence)).then(|| {
                let event_type = types[sequence as usize - 1];
                RecordedStep {
                    sequence: sequence as u64,
                    event_type: event_type.into(),
                    occurrence: types[..sequence as usize - 1]
                        .iter()
                        .filter(|t| **t == event_type)
                        .count() as u32,
                }
            }),
        )
    }
}

const ID: &str = "0190b7c4-0000-7000-8000-000000000001";

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn ledger() -> Box<dyn DocumentServices> {
    ledger_delisted_on(None)
}

/// The same ledger, with the body taken off the list on `delisted_on` (机构改革).
fn ledger_delisted_on(delisted_on: Option<&str>) -> Box<dyn DocumentServices> {
    let mut body = IssuingBody::default();
    body.apply(IssuingBodyEvent::IssuingBodyListed(IssuingBodyListing {
        code: "NCX-GOV-OFFICE".into(),
        name: "南昌县人民政府办公室".into(),
        kind: IssuingBodyKind::CountyGovernmentOffice,
        agency_codes: vec!["南政办发".into()],
        parent: None,
        review_body: None,
        filing_authorities: vec![CITY.into(), CONGRESS.into()],
        listed_from: d("2019-01-01"),
        listing_document: None,
    }));
    if let Some(on) = delisted_on {
        body.apply(IssuingBodyEvent::IssuingBodyDelisted {
            delisted_on: d(on),
            reason: "机构改革".into(),
            document: None,
        });
    }
    let mut numbers = HashMap::new();
    numbers.insert("南政办发〔2019〕53号".into(), "another-document".into());
    numbers.insert("NCXR-2019-00053".into(), "another-document".into());
    Box::new(Ledger {
        bodies: HashMap::from([("NCX-GOV-OFFICE".into(), body)]),
        numbers,
    })
}

fn given(events: Vec<DocumentEvent>) -> cqrs_es::test::AggregateTestExecutor<NormativeDocument> {
    TestFramework::<NormativeDocument>::with(ledger()).given(events)
}

fn refused(events: Vec<DocumentEvent>, command: DocumentCommand) -> &'static str {
    given(events)
        .when(command)
        .inspect_result()
        .expect_err("the command should be refused")
        .rule()
}

fn draft(title: &str, major: bool) -> Draft {
    Draft {
        body_code: "NCX-GOV-OFFICE".into(),
        title: title.into(),
        class: DocumentClass::Government,
        is_trial: false,
        is_major_decision: major,
        summary: String::new(),
        drafted_on: d("2019-06-01"),
        drafting_unit: "县政府办公室秘书科".into(),
        market_related: false,
    }
}

fn drafted() -> DocumentEvent {
    DocumentEvent::Drafted {
        id: ID.into(),
        draft: draft("关于全面推行行政规范性文件合法性审核机制的实施意见", false),
    }
}

fn submitted() -> DocumentEvent {
    DocumentEvent::SubmittedForReview {
        submitted_on: d("2019-07-01"),
        materials: vec!["送审稿".into(), "起草说明".into()],
    }
}

fn started() -> DocumentEvent {
    DocumentEvent::ReviewStarted {
        started_on: d("2019-07-02"),
        due_on: d("2019-07-20"),
    }
}

fn concluded(outcome: ReviewOutcome, issues: usize) -> DocumentEvent {
    DocumentEvent::ReviewConcluded {
        text_version: None,
        outcome,
        issues: (1..=issues as u32)
            .map(|number| ReviewIssue {
                anchor: None,
                number,
                clause: Some(format!("第{number}条")),
                text: "缺乏上位法依据".into(),
            })
            .collect(),
        opinion: "审核意见".into(),
        concluded_on: d("2019-07-10"),
    }
}

fn deliberated(outcome: DeliberationOutcome) -> DocumentEvent {
    DocumentEvent::Deliberated(deliberation(outcome))
}

fn deliberation(outcome: DeliberationOutcome) -> Deliberation {
    Deliberation {
        text_version: None,
        outcome,
        meeting_type: Some(MeetingType::ExecutiveMeeting),
        meeting: "县政府第12次常务会议".into(),
        held_on: d("2019-08-20"),
        minutes_reference: None,
        dissent: None,
    }
}

fn issue_command(number: &str, valid_until: Option<&str>, reason: Option<&str>) -> DocumentCommand {
    DocumentCommand::Issue {
        text: None,
        number: DocumentNumber::parse(number).unwrap(),
        registration_number: Some("NCXR-2019-00063".into()),
        signer: "县长".into(),
        issued_on: d("2019-09-02"),
        published_on: d("2019-09-05"),
        effective_on: d("2019-10-05"),
        valid_until: valid_until.map(d),
        validity_override_reason: reason.map(Into::into),
    }
}

fn issued() -> DocumentEvent {
    DocumentEvent::Issued(Issuance {
        text_version: None,
        number: DocumentNumber::parse("南政办发〔2019〕63号").unwrap(),
        registration_number: Some("NCXR-2019-00063".into()),
        signer: "县长".into(),
        issued_on: d("2019-09-02"),
        published_on: d("2019-09-05"),
        effective_on: d("2019-10-05"),
        valid_until: d("2024-10-04"),
        validity_override_reason: None,
    })
}

fn through_approval() -> Vec<DocumentEvent> {
    vec![
        drafted(),
        submitted(),
        started(),
        concluded(ReviewOutcome::Lawful, 0),
        deliberated(DeliberationOutcome::Approved),
    ]
}

fn through_issue() -> Vec<DocumentEvent> {
    let mut e = through_approval();
    e.push(issued());
    e
}

fn with(mut events: Vec<DocumentEvent>, more: DocumentEvent) -> Vec<DocumentEvent> {
    events.push(more);
    events
}

#[test]
fn a_listed_body_drafts_a_document() {
    given(vec![])
        .when(DocumentCommand::Draft {
            text: None,
            id: ID.into(),
            draft: draft("关于全面推行行政规范性文件合法性审核机制的实施意见", false),
        })
        .then_expect_events(vec![drafted()]);
}

#[test]
fn an_unlisted_body_or_a_date_before_listing_is_refused() {
    let mut other = draft("t", false);
    other.body_code = "NCX-NOBODY".into();
    assert_eq!(
        refused(
            vec![],
            DocumentCommand::Draft {
                text: None,
                id: ID.into(),
                draft: other
            }
        ),
        "ISSUING_BODY_NOT_LISTED"
    );
    let mut early = draft("t", false);
    early.drafted_on = d("2018-12-31");
    assert_eq!(
        refused(
            vec![],
            DocumentCommand::Draft {
                text: None,
                id: ID.into(),
                draft: early
            }
        ),
        "ISSUING_BODY_NOT_LISTED"
    );
}

#[test]
fn a_document_is_drafted_once_and_needs_a_title() {
    assert_eq!(
        refused(
            vec![drafted()],
            DocumentCommand::Draft {
                text: None,
                id: ID.into(),
                draft: draft("t", false)
            }
        ),
        "DOCUMENT_ALREADY_EXISTS"
    );
    assert_eq!(
        refused(
            vec![],
            DocumentCommand::Draft {
                text: None,
                id: ID.into(),
                draft: draft("  ", false)
            }
        ),
        "INVALID_INPUT"
    );
    assert_eq!(
        refused(
            vec![],
            DocumentCommand::Draft {
                text: None,
                id: ID.into(),
                draft: draft("a\u{0}b", false)
            }
        ),
        "INVALID_INPUT"
    );
}

#[test]
fn drafts_are_revised_while_drafting() {
    let revise = || DocumentCommand::ReviseDraft {
        text: None,
        title: Some("新标题".into()),
        summary: None,
        is_trial: None,
        is_major_decision: None,
        revised_on: d("2019-06-10"),
    };
    given(vec![drafted()])
        .when(revise())
        .then_expect_events(vec![DocumentEvent::DraftRevised {
            title: Some("新标题".into()),
            summary: None,
            is_trial: None,
            is_major_decision: None,
            revised_on: d("2019-06-10"),
        }]);
    assert_eq!(refused(through_approval(), revise()), "INVALID_TRANSITION");
}

#[test]
fn consultation_opens_and_closes_back_to_drafting() {
    let opened = DocumentEvent::ConsultationOpened {
        opened_on: d("2019-06-05"),
        closes_on: d("2019-06-20"),
        channel: "县政府门户网站".into(),
    };
    given(vec![drafted()])
        .when(DocumentCommand::OpenConsultation {
            opened_on: d("2019-06-05"),
            closes_on: d("2019-06-20"),
            channel: "县政府门户网站".into(),
        })
        .then_expect_events(vec![opened.clone()]);
    let closed = DocumentEvent::ConsultationClosed {
        closed_on: d("2019-06-20"),
        comments_received: 12,
        adoption_summary: "采纳3条".into(),
    };
    given(vec![drafted(), opened.clone()])
        .when(DocumentCommand::CloseConsultation {
            closed_on: d("2019-06-20"),
            comments_received: 12,
            adoption_summary: "采纳3条".into(),
        })
        .then_expect_events(vec![closed.clone()]);
    assert_eq!(
        refused(
            vec![drafted(), opened.clone()],
            DocumentCommand::SubmitForReview {
                text: None,
                submitted_on: d("2019-07-01"),
                materials: vec!["送审稿".into()]
            }
        ),
        "INVALID_TRANSITION"
    );
    assert_eq!(
        refused(
            vec![drafted()],
            DocumentCommand::OpenConsultation {
                opened_on: d("2019-06-20"),
                closes_on: d("2019-06-05"),
                channel: "网站".into()
            }
        ),
        "INVALID_INPUT"
    );
    let mut doc = NormativeDocument::default();
    for e in [drafted(), opened, closed] {
        doc.apply(e);
    }
    assert_eq!(doc.status, DocumentStatus::Drafting);
    assert_eq!(doc.consultations[0].comments_received, Some(12));
}

#[test]
fn submission_needs_materials_and_can_be_returned() {
    given(vec![drafted()])
        .when(DocumentCommand::SubmitForReview {
            text: None,
            submitted_on: d("2019-07-01"),
            materials: vec!["送审稿".into(), "起草说明".into()],
        })
        .then_expect_events(vec![submitted()]);
    assert_eq!(
        refused(
            vec![drafted()],
            DocumentCommand::SubmitForReview {
                text: None,
                submitted_on: d("2019-07-01"),
                materials: vec![]
            }
        ),
        "INVALID_INPUT"
    );
    given(vec![drafted(), submitted()])
        .when(DocumentCommand::ReturnMaterials {
            returned_on: d("2019-07-02"),
            reason: "缺少起草说明".into(),
        })
        .then_expect_events(vec![DocumentEvent::MaterialsReturned(MaterialsReturn {
            returned_on: d("2019-07-02"),
            reason: "缺少起草说明".into(),
        })]);
    assert_eq!(
        refused(
            vec![drafted()],
            DocumentCommand::ReturnMaterials {
                returned_on: d("2019-07-02"),
                reason: "x".into()
            }
        ),
        "INVALID_TRANSITION"
    );
}

#[test]
fn the_review_starts_with_a_due_date() {
    given(vec![drafted(), submitted()])
        .when(DocumentCommand::StartReview {
            started_on: d("2019-07-02"),
            due_on: d("2019-07-20"),
        })
        .then_expect_events(vec![started()]);
    assert_eq!(
        refused(
            vec![drafted(), submitted()],
            DocumentCommand::StartReview {
                started_on: d("2019-07-02"),
                due_on: d("2019-07-01")
            }
        ),
        "INVALID_INPUT"
    );
    assert_eq!(
        refused(
            vec![drafted()],
            DocumentCommand::StartReview {
                started_on: d("2019-07-02"),
                due_on: d("2019-07-20")
            }
        ),
        "INVALID_TRANSITION"
    );
}

fn opinion() -> AdvisorOpinion {
    AdvisorOpinion {
        anchor: None,
        advisor_id: "adv-1".into(),
        advisor_name: "张律师".into(),
        text: "建议删除第五条".into(),
        conclusion: Some("基本合法".into()),
        given_on: d("2019-07-05"),
    }
}

#[test]
fn advisors_add_opinions_only_during_review() {
    given(vec![drafted(), submitted(), started()])
        .when(DocumentCommand::AddAdvisorOpinion(opinion()))
        .then_expect_events(vec![DocumentEvent::AdvisorOpinionAdded(opinion())]);
    assert_eq!(
        refused(
            vec![drafted()],
            DocumentCommand::AddAdvisorOpinion(opinion())
        ),
        "INVALID_TRANSITION"
    );
    assert_eq!(
        refused(
            through_issue(),
            DocumentCommand::AddAdvisorOpinion(opinion())
        ),
        "INVALID_TRANSITION"
    );
}

fn conclude(outcome: ReviewOutcome, issues: usize) -> DocumentCommand {
    DocumentCommand::ConcludeReview {
        outcome,
        issues: (1..=issues)
            .map(|n| IssueInput {
                anchor: None,
                clause: Some(format!("第{n}条")),
                text: "缺乏上位法依据".into(),
            })
            .collect(),
        opinion: "审核意见".into(),
        concluded_on: d("2019-07-10"),
    }
}

#[test]
fn each_review_outcome_leads_to_its_status() {
    for (outcome, issues, status) in [
        (
            ReviewOutcome::Lawful,
            0,
            DocumentStatus::AwaitingDeliberation,
        ),
        (ReviewOutcome::MustRevise, 2, DocumentStatus::Revising),
        (ReviewOutcome::Unlawful, 1, DocumentStatus::Drafting),
    ] {
        given(vec![drafted(), submitted(), started()])
            .when(conclude(outcome, issues))
            .then_expect_events(vec![concluded(outcome, issues)]);
        let mut doc = NormativeDocument::default();
        for e in [
            drafted(),
            submitted(),
            started(),
            concluded(outcome, issues),
        ] {
            doc.apply(e);
        }
        assert_eq!(doc.status, status, "{outcome:?}");
    }
}

#[test]
fn must_revise_and_unlawful_need_issues() {
    for outcome in [ReviewOutcome::MustRevise, ReviewOutcome::Unlawful] {
        assert_eq!(
            refused(
                vec![drafted(), submitted(), started()],
                conclude(outcome, 0)
            ),
            "ISSUES_REQUIRED"
        );
    }
}

#[test]
fn a_review_concludes_only_once_under_review() {
    assert_eq!(
        refused(
            vec![
                drafted(),
                submitted(),
                started(),
                concluded(ReviewOutcome::Lawful, 0)
            ],
            conclude(ReviewOutcome::Lawful, 0)
        ),
        "INVALID_TRANSITION"
    );
    assert_eq!(
        refused(
            vec![drafted(), submitted()],
            conclude(ReviewOutcome::Lawful, 0)
        ),
        "INVALID_TRANSITION"
    );
}

#[test]
fn a_major_decision_needs_an_advisor_opinion_before_the_review_concludes() {
    let major = DocumentEvent::Drafted {
        id: ID.into(),
        draft: draft("重大事项决策规定", true),
    };
    assert_eq!(
        refused(
            vec![major.clone(), submitted(), started()],
            conclude(ReviewOutcome::Lawful, 0)
        ),
        "ADVISOR_OPINION_REQUIRED"
    );
    given(vec![
        major,
        submitted(),
        started(),
        DocumentEvent::AdvisorOpinionAdded(opinion()),
    ])
    .when(conclude(ReviewOutcome::Lawful, 0))
    .then_expect_events(vec![concluded(ReviewOutcome::Lawful, 0)]);
}

fn revising() -> Vec<DocumentEvent> {
    vec![
        drafted(),
        submitted(),
        started(),
        concluded(ReviewOutcome::MustRevise, 2),
    ]
}

fn response(n: u32, adopted: bool, reason: Option<&str>) -> IssueResponse {
    IssueResponse {
        clause: None,
        issue_number: n,
        adopted,
        reason: reason.map(Into::into),
    }
}

#[test]
fn a_revision_answers_every_issue_and_gives_reasons_for_rejections() {
    let ok = vec![
        response(1, true, None),
        response(2, false, Some("有上位法依据")),
    ];
    given(revising())
        .when(DocumentCommand::SubmitRevision {
            text: None,
            submitted_on: d("2019-07-15"),
            responses: ok.clone(),
        })
        .then_expect_events(vec![DocumentEvent::RevisionSubmitted {
            submitted_on: d("2019-07-15"),
            responses: ok,
        }]);
    for bad in [
        vec![response(1, true, None)],
        vec![response(1, true, None), response(2, false, None)],
        vec![
            response(1, true, None),
            response(2, true, None),
            response(3, true, None),
        ],
        vec![
            response(1, true, None),
            response(1, true, None),
            response(2, true, None),
        ],
    ] {
        assert_eq!(
            refused(
                revising(),
                DocumentCommand::SubmitRevision {
                    text: None,
                    submitted_on: d("2019-07-15"),
                    responses: bad
                }
            ),
            "ISSUE_RESPONSES_INCOMPLETE"
        );
    }
}

#[test]
fn no_deliberation_without_a_lawful_or_answered_review() {
    let cmd = || DocumentCommand::RecordDeliberation(deliberation(DeliberationOutcome::Approved));
    for events in [
        vec![drafted()],
        vec![drafted(), submitted()],
        vec![drafted(), submitted(), started()],
        revising(),
        vec![
            drafted(),
            submitted(),
            started(),
            concluded(ReviewOutcome::Unlawful, 1),
        ],
    ] {
        assert_eq!(refused(events, cmd()), "REVIEW_NOT_LAWFUL");
    }
    // Lawful: allowed.
    given(vec![
        drafted(),
        submitted(),
        started(),
        concluded(ReviewOutcome::Lawful, 0),
    ])
    .when(cmd())
    .then_expect_events(vec![deliberated(DeliberationOutcome::Approved)]);
    // MUST_REVISE with every issue answered: allowed.
    let answered = with(
        revising(),
        DocumentEvent::RevisionSubmitted {
            submitted_on: d("2019-07-15"),
            responses: vec![response(1, true, None), response(2, true, None)],
        },
    );
    given(answered)
        .when(cmd())
        .then_expect_events(vec![deliberated(DeliberationOutcome::Approved)]);
    assert_eq!(refused(through_issue(), cmd()), "INVALID_TRANSITION");
}

#[test]
fn deliberation_outcomes_lead_to_their_status() {
    for (outcome, status) in [
        (DeliberationOutcome::Approved, DocumentStatus::Approved),
        (
            DeliberationOutcome::ApprovedWithChanges,
            DocumentStatus::Approved,
        ),
        (DeliberationOutcome::Rejected, DocumentStatus::Rejected),
        (DeliberationOutcome::Deferred, DocumentStatus::Drafting),
    ] {
        let mut doc = NormativeDocument::default();
        for e in [
            drafted(),
            submitted(),
            started(),
            concluded(ReviewOutcome::Lawful, 0),
            deliberated(outcome),
        ] {
            doc.apply(e);
        }
        assert_eq!(doc.status, status);
    }
}

#[test]
fn an_approved_document_is_issued_with_a_default_validity_of_five_years() {
    given(through_approval())
        .when(issue_command("南政办发[2019]63号", None, None))
        .then_expect_events(vec![issued()]);
}

/// Listing dates are checked at issue too: a body delisted before the issue date (机构改革)
/// cannot issue, even a document it drafted while listed.
#[test]
fn a_body_delisted_before_the_issue_date_cannot_issue() {
    let refusal = TestFramework::<NormativeDocument>::with(ledger_delisted_on(Some("2019-09-01")))
        .given(through_approval())
        .when(issue_command("南政办发〔2019〕63号", None, None))
        .inspect_result()
        .expect_err("issued after delisting")
        .rule();
    assert_eq!(refusal, "ISSUING_BODY_NOT_LISTED");
    // Delisted the day after the issue date: the issue stands.
    TestFramework::<NormativeDocument>::with(ledger_delisted_on(Some("2019-09-03")))
        .given(through_approval())
        .when(issue_command("南政办发〔2019〕63号", None, None))
        .then_expect_events(vec![issued()]);
}

/// 登记号 is unique like the 文号: one already held is refused at issue and at republication.
#[test]
fn a_registration_number_already_held_is_refused() {
    let mut taken = issue_command("南政办发〔2019〕63号", None, None);
    if let DocumentCommand::Issue {
        registration_number,
        ..
    } = &mut taken
    {
        *registration_number = Some("NCXR-2019-00053".into());
    }
    assert_eq!(
        refused(through_approval(), taken),
        "REGISTRATION_NUMBER_TAKEN"
    );
    let mut events = through_approval();
    events.push(issued());
    let republish = DocumentCommand::Republish {
        republished_on: d("2020-01-02"),
        registration_number: Some("NCXR-2019-00053".into()),
        valid_until: None,
        validity_override_reason: None,
    };
    assert_eq!(refused(events, republish), "REGISTRATION_NUMBER_TAKEN");
}

#[test]
fn trial_documents_default_to_two_years() {
    let mut events = through_approval();
    events[0] = DocumentEvent::Drafted {
        id: ID.into(),
        draft: draft("重大事项决策规定（试行）", false),
    };
    let result = given(events)
        .when(issue_command("南政办发〔2019〕63号", None, None))
        .inspect_result()
        .unwrap();
    match &result[0] {
        DocumentEvent::Issued(i) => assert_eq!(i.valid_until, d("2021-10-04")),
        other => panic!("{other:?}"),
    }
}

/// 集体审议 by the body's own meeting: the county government office's documents are
/// deliberated by the government's executive or plenary meeting, never by a department's
/// office meeting or a township's; and the meeting type must be given.
#[test]
fn a_document_is_deliberated_by_its_own_bodys_meeting() {
    let reviewed = || {
        vec![
            drafted(),
            submitted(),
            started(),
            concluded(ReviewOutcome::Lawful, 0),
        ]
    };
    let with_type = |t: Option<MeetingType>| {
        let mut d = deliberation(DeliberationOutcome::Approved);
        d.meeting_type = t;
        DocumentCommand::RecordDeliberation(d)
    };
    for wrong in [MeetingType::DepartmentMeeting, MeetingType::TownshipMeeting] {
        assert_eq!(refused(reviewed(), with_type(Some(wrong))), "WRONG_MEETING");
    }
    assert_eq!(refused(reviewed(), with_type(None)), "INVALID_INPUT");
    let mut plenary = deliberation(DeliberationOutcome::Approved);
    plenary.meeting_type = Some(MeetingType::PlenaryMeeting);
    given(reviewed())
        .when(DocumentCommand::RecordDeliberation(plenary.clone()))
        .then_expect_events(vec![DocumentEvent::Deliberated(plenary)]);
}

/// Each kind of body has its meeting.
#[test]
fn each_kind_of_body_is_deliberated_by_its_meeting() {
    use IssuingBodyKind as K;
    assert!(
        K::CountyGovernment
            .deliberating_meetings()
            .contains(&MeetingType::ExecutiveMeeting)
    );
    assert_eq!(
        K::CountyDepartment.deliberating_meetings(),
        [MeetingType::DepartmentMeeting]
    );
    assert_eq!(
        K::TownshipGovernment.deliberating_meetings(),
        [MeetingType::TownshipMeeting]
    );
    assert_eq!(
        K::SubdistrictOffice.deliberating_meetings(),
        [MeetingType::TownshipMeeting]
    );
}

#[test]
fn no_issue_without_approval() {
    for events in [
        vec![drafted()],
        vec![
            drafted(),
            submitted(),
            started(),
            concluded(ReviewOutcome::Lawful, 0),
        ],
    ] {
        assert_eq!(
            refused(events, issue_command("南政办发〔2019〕63号", None, None)),
            "NOT_APPROVED"
        );
    }
    let rejected = with(
        vec![
            drafted(),
            submitted(),
            started(),
            concluded(ReviewOutcome::Lawful, 0),
        ],
        deliberated(DeliberationOutcome::Rejected),
    );
    assert_eq!(
        refused(rejected, issue_command("南政办发〔2019〕63号", None, None)),
        "INVALID_TRANSITION"
    );
    assert_eq!(
        refused(
            through_issue(),
            issue_command("南政办发〔2019〕64号", None, None)
        ),
        "INVALID_TRANSITION"
    );
}

#[test]
fn the_number_must_be_the_bodys_and_free() {
    assert_eq!(
        refused(
            through_approval(),
            issue_command("南府发〔2019〕63号", None, None)
        ),
        "AGENCY_CODE_NOT_OF_BODY"
    );
    assert_eq!(
        refused(
            through_approval(),
            issue_command("南政办发〔2019〕53号", None, None)
        ),
        "DOCUMENT_NUMBER_TAKEN"
    );
}

#[test]
fn a_longer_validity_needs_a_reason() {
    assert_eq!(
        refused(
            through_approval(),
            issue_command("南政办发〔2019〕63号", Some("2024-10-05"), None)
        ),
        "VALIDITY_TOO_LONG"
    );
    assert_eq!(
        refused(
            through_approval(),
            issue_command("南政办发〔2019〕63号", Some("2029-01-01"), Some("  "))
        ),
        "VALIDITY_TOO_LONG"
    );
    given(through_approval())
        .when(issue_command(
            "南政办发〔2019〕63号",
            Some("2029-01-01"),
            Some("上位法规定长期有效"),
        ))
        .inspect_result()
        .expect("a reason overrides the limit");
    assert_eq!(
        refused(
            through_approval(),
            issue_command("南政办发〔2019〕63号", Some("2019-10-01"), None)
        ),
        "INVALID_INPUT"
    );
}

/// The county government office's filing authorities in these tests (a government body
/// files with the city government and the county people's congress standing committee).
const CITY: &str = "南昌市人民政府";
const CONGRESS: &str = "南昌县人大常委会";

fn file(on: &str, authorities: &[&str]) -> DocumentCommand {
    DocumentCommand::FileForRecord {
        filed_on: d(on),
        authorities: authorities.iter().map(|a| (*a).to_owned()).collect(),
    }
}

fn filed_with_both() -> Vec<DocumentEvent> {
    with(
        through_issue(),
        DocumentEvent::FiledForRecord {
            filed_on: d("2019-09-20"),
            authorities: vec![CITY.into(), CONGRESS.into()],
        },
    )
}

fn review(authority: &str, outcome: FilingReviewOutcome, on: &str) -> DocumentCommand {
    DocumentCommand::RecordFilingReview {
        authority: authority.into(),
        outcome,
        reviewed_on: d(on),
        notes: (outcome != FilingReviewOutcome::Accepted).then(|| "第五条超越权限".into()),
        correction_due_on: None,
    }
}

/// The event `review` records (what the aggregate decides, deadline included).
fn reviewed(events: &[DocumentEvent], command: DocumentCommand) -> DocumentEvent {
    given(events.to_vec())
        .when(command)
        .inspect_result()
        .expect("the review is recorded")
        .remove(0)
}

fn fold(events: Vec<DocumentEvent>) -> NormativeDocument {
    let mut doc = NormativeDocument::default();
    for e in events {
        doc.apply(e);
    }
    doc
}

#[test]
fn filing_runs_beside_the_issued_document_with_every_listed_authority() {
    // Named in full, or left to the listing: the same filing.
    let expected = DocumentEvent::FiledForRecord {
        filed_on: d("2019-09-20"),
        authorities: vec![CITY.into(), CONGRESS.into()],
    };
    given(through_issue())
        .when(file("2019-09-20", &[CITY, CONGRESS]))
        .then_expect_events(vec![expected.clone()]);
    given(through_issue())
        .when(file("2019-09-20", &[]))
        .then_expect_events(vec![expected]);
    assert_eq!(
        refused(through_approval(), file("2019-09-20", &[CITY, CONGRESS])),
        "INVALID_TRANSITION"
    );
    // Filing follows the body's listing: all its authorities at once, none other.
    assert_eq!(
        refused(through_issue(), file("2019-09-20", &[CITY])),
        "WRONG_FILING_AUTHORITY"
    );
    assert_eq!(
        refused(
            through_issue(),
            file("2019-09-20", &[CITY, CONGRESS, "南昌县人民政府"])
        ),
        "WRONG_FILING_AUTHORITY"
    );
    assert_eq!(
        refused(through_issue(), file("2019-09-20", &[CITY, CITY, CONGRESS])),
        "INVALID_INPUT"
    );
    // Filed once, nothing is due again until an authority asks for it.
    assert_eq!(
        refused(filed_with_both(), file("2019-09-21", &[])),
        "INVALID_TRANSITION"
    );
    let doc = fold(filed_with_both());
    assert_eq!(doc.filing_status, FilingStatus::Filed);
    assert_eq!(doc.current_filings().len(), 2);
    assert_eq!(doc.current_filings()[0].review_due_on(), d("2019-10-20"));
}

/// Each authority decides its own filing; the document is accepted when both have.
#[test]
fn each_authority_decides_its_own_filing() {
    assert_eq!(
        refused(
            through_issue(),
            review(CITY, FilingReviewOutcome::Accepted, "2019-10-01")
        ),
        "INVALID_TRANSITION"
    );
    assert_eq!(
        refused(
            filed_with_both(),
            review(
                "南昌县人民政府",
                FilingReviewOutcome::Accepted,
                "2019-10-01"
            )
        ),
        "WRONG_FILING_AUTHORITY"
    );
    let mut events = filed_with_both();
    events.push(reviewed(
        &events,
        review(CITY, FilingReviewOutcome::Accepted, "2019-10-01"),
    ));
    assert_eq!(fold(events.clone()).filing_status, FilingStatus::Filed);
    // One outcome per filing.
    assert_eq!(
        refused(
            events.clone(),
            review(CITY, FilingReviewOutcome::Accepted, "2019-10-02")
        ),
        "INVALID_TRANSITION"
    );
    assert_eq!(
        refused(
            events.clone(),
            review(CONGRESS, FilingReviewOutcome::Accepted, "2019-09-19")
        ),
        "INVALID_INPUT"
    );
    events.push(reviewed(
        &events,
        review(CONGRESS, FilingReviewOutcome::Accepted, "2019-10-02"),
    ));
    assert_eq!(fold(events).filing_status, FilingStatus::Accepted);
    // Grounds are required for any outcome but acceptance.
    let mut bare = review(CITY, FilingReviewOutcome::Refused, "2019-10-01");
    if let DocumentCommand::RecordFilingReview { notes, .. } = &mut bare {
        *notes = None;
    }
    assert_eq!(refused(filed_with_both(), bare), "INVALID_INPUT");
    // The older single outcome (no authority) answered every open filing.
    let legacy = fold(with(
        filed_with_both(),
        DocumentEvent::FilingReviewed {
            authority: None,
            outcome: FilingReviewOutcome::Accepted,
            reviewed_on: d("2019-10-01"),
            notes: None,
            correction_due_on: None,
        },
    ));
    assert_eq!(legacy.filing_status, FilingStatus::Accepted);
}

/// 建议自行纠正: a deadline (30 days by default), answered by filing again with that
/// authority only; unanswered past it, the document is on the overdue list and warned.
#[test]
fn a_requested_correction_has_a_deadline_and_is_answered_by_filing_again() {
    let mut events = filed_with_both();
    let asked = reviewed(
        &events,
        review(CITY, FilingReviewOutcome::CorrectionRequired, "2019-10-01"),
    );
    assert!(matches!(
        asked,
        DocumentEvent::FilingReviewed { correction_due_on: Some(due), .. } if due == d("2019-10-31")
    ));
    events.push(asked);
    let doc = fold(events.clone());
    assert_eq!(doc.filing_status, FilingStatus::CorrectionRequired);
    assert_eq!(doc.correction_due_on(), Some(d("2019-10-31")));
    assert!(codes(events.clone(), "2019-11-01").contains(&"FILING_CORRECTION_OVERDUE"));
    assert!(!codes(events.clone(), "2019-10-30").contains(&"FILING_CORRECTION_OVERDUE"));
    // A deadline only for a correction, and not before the review.
    let mut early = review(
        CONGRESS,
        FilingReviewOutcome::CorrectionRequired,
        "2019-10-01",
    );
    if let DocumentCommand::RecordFilingReview {
        correction_due_on, ..
    } = &mut early
    {
        *correction_due_on = Some(d("2019-09-30"));
    }
    assert_eq!(refused(events.clone(), early), "INVALID_INPUT");
    let mut misplaced = review(CONGRESS, FilingReviewOutcome::Accepted, "2019-10-01");
    if let DocumentCommand::RecordFilingReview {
        correction_due_on, ..
    } = &mut misplaced
    {
        *correction_due_on = Some(d("2019-11-30"));
    }
    assert_eq!(refused(events.clone(), misplaced), "INVALID_INPUT");
    // Filing again: with the city only (the congress has it under review).
    assert_eq!(
        refused(events.clone(), file("2019-10-20", &[CONGRESS])),
        "INVALID_TRANSITION"
    );
    given(events.clone())
        .when(file("2019-10-20", &[]))
        .then_expect_events(vec![DocumentEvent::FiledForRecord {
            filed_on: d("2019-10-20"),
            authorities: vec![CITY.into()],
        }]);
    events.push(DocumentEvent::FiledForRecord {
        filed_on: d("2019-10-20"),
        authorities: vec![CITY.into()],
    });
    let doc = fold(events.clone());
    assert_eq!(doc.correction_due_on(), None);
    assert_eq!(doc.filing_status, FilingStatus::Filed);
    assert_eq!(
        doc.filings.len(),
        3,
        "the first filing stays in the history"
    );
    assert!(!codes(events, "2019-11-01").contains(&"FILING_CORRECTION_OVERDUE"));
}

/// 撤销 ends the document; 不予备案 does not, but shows.
#[test]
fn revocation_by_an_authority_ends_the_document() {
    let mut events = filed_with_both();
    events.push(reviewed(
        &events,
        review(CONGRESS, FilingReviewOutcome::Revoked, "2019-10-08"),
    ));
    let doc = fold(events.clone());
    assert_eq!(doc.status, DocumentStatus::Revoked);
    assert_eq!(doc.filing_status, FilingStatus::Revoked);
    assert_eq!(doc.ending.as_ref().map(|e| e.on), Some(d("2019-10-08")));
    assert!(doc.ending.unwrap().reason.contains(CONGRESS));
    // Nothing is left to revoke; the other authority may still record its outcome.
    assert_eq!(
        refused(
            events.clone(),
            review(CITY, FilingReviewOutcome::Revoked, "2019-10-09")
        ),
        "INVALID_TRANSITION"
    );
    assert_eq!(
        refused(
            events,
            review(CITY, FilingReviewOutcome::Accepted, "2019-10-09")
        ),
        "INVALID_TRANSITION"
    );
    let mut refused_events = filed_with_both();
    refused_events.push(reviewed(
        &refused_events,
        review(CITY, FilingReviewOutcome::Refused, "2019-10-08"),
    ));
    let doc = fold(refused_events);
    assert_eq!(doc.status, DocumentStatus::Issued);
    assert_eq!(doc.filing_status, FilingStatus::Refused);
}

/// The authority reviews within 30 days, extendable once by up to 20; a late review warns.
#[test]
fn an_authority_reviews_within_thirty_days_extendable_once() {
    let extend = |days, on: &str| DocumentCommand::ExtendFilingReview {
        authority: CITY.into(),
        extended_on: d(on),
        days,
        reason: "需征求省司法厅意见".into(),
    };
    assert!(codes(filed_with_both(), "2019-10-21").contains(&"FILING_REVIEW_OVERDUE"));
    assert!(!codes(filed_with_both(), "2019-10-20").contains(&"FILING_REVIEW_OVERDUE"));
    assert_eq!(
        refused(filed_with_both(), extend(21, "2019-10-10")),
        "INVALID_INPUT"
    );
    assert_eq!(
        refused(filed_with_both(), extend(0, "2019-10-10")),
        "INVALID_INPUT"
    );
    // After the deadline it can no longer be extended.
    assert_eq!(
        refused(filed_with_both(), extend(10, "2019-10-21")),
        "INVALID_INPUT"
    );
    let extended = DocumentEvent::FilingReviewExtended {
        authority: CITY.into(),
        extended_on: d("2019-10-10"),
        days: 20,
        reason: "需征求省司法厅意见".into(),
    };
    given(filed_with_both())
        .when(extend(20, "2019-10-10"))
        .then_expect_events(vec![extended.clone()]);
    let events = with(filed_with_both(), extended);
    assert_eq!(
        refused(events.clone(), extend(5, "2019-10-11")),
        "INVALID_TRANSITION"
    );
    let doc = fold(events.clone());
    assert_eq!(doc.current_filings()[0].review_due_on(), d("2019-11-09"));
    // The city's review is not late; the congress's (not extended) is.
    let warnings: Vec<String> = doc
        .warnings(d("2019-11-01"), &calendar(), &WarningSettings::default())
        .into_iter()
        .filter(|w| w.code == "FILING_REVIEW_OVERDUE")
        .map(|w| w.message)
        .collect();
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].contains(CONGRESS));
    // Decided after the deadline: recorded, and flagged.
    let mut late = events;
    late.push(reviewed(
        &late,
        review(CONGRESS, FilingReviewOutcome::Accepted, "2019-10-25"),
    ));
    assert!(codes(late, "2019-10-26").contains(&"FILING_REVIEWED_LATE"));
}

fn correct(position: i64, field: FactField, value: &str) -> DocumentCommand {
    DocumentCommand::CorrectFact(FactCorrectionRequest {
        position,
        field,
        value: value.into(),
        reason: "以备案回执为准".into(),
        corrected_on: d("2019-12-01"),
    })
}

/// 更正: a mis-keyed fact is corrected by a compensating event naming the event, the field,
/// the old and the new value; the state reads the new value, the recorded event is untouched.
#[test]
fn a_mis_keyed_fact_is_corrected_by_a_compensating_event() {
    let corrected = |events: Vec<DocumentEvent>, command| {
        given(events)
            .when(command)
            .inspect_result()
            .expect("the correction is recorded")
            .remove(0)
    };
    let event = corrected(
        filed_with_both(),
        correct(107, FactField::FiledOn, "2019-09-22"),
    );
    let DocumentEvent::FactCorrected(c) = &event else {
        panic!("{event:?}")
    };
    assert_eq!(
        (c.sequence, c.event_type.as_str(), c.occurrence),
        (7, "FiledForRecord", 0)
    );
    assert_eq!(
        (c.old_value.as_str(), c.new_value.as_str()),
        ("2019-09-20", "2019-09-22")
    );
    let mut events = with(filed_with_both(), event);
    let doc = fold(events.clone());
    assert!(doc.filings.iter().all(|f| f.filed_on == d("2019-09-22")));
    assert_eq!(doc.current_filings()[0].review_due_on(), d("2019-10-22"));
    assert_eq!(doc.fact_corrections.len(), 1);
    // A second correction of the same fact starts from the corrected value.
    let again = corrected(
        events.clone(),
        correct(107, FactField::FiledOn, "2019-09-21"),
    );
    assert!(matches!(&again, DocumentEvent::FactCorrected(c) if c.old_value == "2019-09-22"));
    // The meeting and the signer, likewise.
    events.push(corrected(
        events.clone(),
        correct(105, FactField::Meeting, "县政府第13次常务会议"),
    ));
    events.push(corrected(
        events.clone(),
        correct(106, FactField::Signer, "副县长"),
    ));
    let doc = fold(events.clone());
    assert_eq!(doc.deliberations[0].meeting, "县政府第13次常务会议");
    assert_eq!(doc.issuance.unwrap().signer, "副县长");

    for (command, why) in [
        (
            correct(99, FactField::FiledOn, "2019-09-22"),
            "no such event",
        ),
        (
            correct(106, FactField::FiledOn, "2019-09-22"),
            "Issued records no filing date",
        ),
        (correct(107, FactField::FiledOn, "2019-9-22x"), "not a date"),
        (
            correct(107, FactField::FiledOn, "2019-09-01"),
            "before publication",
        ),
        (
            correct(107, FactField::FiledOn, "2019-09-22"),
            "already the value",
        ),
        (correct(105, FactField::Meeting, ""), "empty"),
    ] {
        assert_eq!(refused(events.clone(), command), "INVALID_INPUT", "{why}");
    }
    let mut no_reason = correct(105, FactField::HeldOn, "2019-08-21");
    if let DocumentCommand::CorrectFact(r) = &mut no_reason {
        r.reason = " ".into();
    }
    assert_eq!(refused(events, no_reason), "INVALID_INPUT");
}

/// 审查建议: the public's suggestion about a published document is recorded with a 30-day
/// reply deadline, answered once by the legal office, and warned about when late.
#[test]
fn a_review_suggestion_is_recorded_with_a_deadline_and_answered_once() {
    let suggest = DocumentCommand::ReceiveReviewSuggestion {
        text: "第五条增设了许可条件".into(),
        received_on: d("2019-11-01"),
    };
    assert_eq!(
        refused(through_approval(), suggest.clone()),
        "INVALID_TRANSITION"
    );
    let received = DocumentEvent::ReviewSuggestionReceived {
        text: "第五条增设了许可条件".into(),
        received_on: d("2019-11-01"),
        reply_due_on: d("2019-12-01"),
    };
    given(through_issue())
        .when(suggest)
        .then_expect_events(vec![received.clone()]);
    let events = with(through_issue(), received);
    assert!(codes(events.clone(), "2019-12-02").contains(&"REVIEW_SUGGESTION_OVERDUE"));
    assert!(!codes(events.clone(), "2019-12-01").contains(&"REVIEW_SUGGESTION_OVERDUE"));
    let answer = |n, on: &str| DocumentCommand::AnswerReviewSuggestion {
        suggestion: n,
        answer: "经审查，该条有上位法依据。".into(),
        answered_on: d(on),
    };
    assert_eq!(
        refused(events.clone(), answer(2, "2019-11-10")),
        "INVALID_INPUT"
    );
    assert_eq!(
        refused(events.clone(), answer(1, "2019-10-31")),
        "INVALID_INPUT"
    );
    let answered = DocumentEvent::ReviewSuggestionAnswered {
        suggestion: 1,
        answer: "经审查，该条有上位法依据。".into(),
        answered_on: d("2019-11-10"),
    };
    given(events.clone())
        .when(answer(1, "2019-11-10"))
        .then_expect_events(vec![answered.clone()]);
    let events = with(events, answered);
    assert_eq!(
        refused(events.clone(), answer(1, "2019-11-11")),
        "INVALID_TRANSITION"
    );
    let doc = fold(events.clone());
    assert_eq!(doc.review_suggestions[0].answered_on, Some(d("2019-11-10")));
    assert!(!codes(events, "2019-12-02").contains(&"REVIEW_SUGGESTION_OVERDUE"));
}

#[test]
fn corrections_and_repeal_apply_to_issued_documents_only() {
    let correction = Correction {
        corrected_on: d("2019-09-10"),
        description: "第三条错字".into(),
    };
    given(through_issue())
        .when(DocumentCommand::Correct {
            correction: correction.clone(),
            text: None,
        })
        .then_expect_events(vec![DocumentEvent::Corrected(correction.clone())]);
    assert_eq!(
        refused(
            through_approval(),
            DocumentCommand::Correct {
                correction,
                text: None,
            }
        ),
        "INVALID_TRANSITION"
    );
    let repeal = Ending {
        on: d("2023-01-01"),
        reason: "清理废止".into(),
        decision_document: Some("南府发〔2022〕9号".into()),
    };
    given(through_issue())
        .when(DocumentCommand::Repeal(repeal.clone()))
        .then_expect_events(vec![DocumentEvent::Repealed(repeal.clone())]);
    assert_eq!(
        refused(through_approval(), DocumentCommand::Repeal(repeal.clone())),
        "INVALID_TRANSITION"
    );
    assert_eq!(
        refused(
            with(through_issue(), DocumentEvent::Repealed(repeal.clone())),
            DocumentCommand::Repeal(repeal)
        ),
        "INVALID_TRANSITION"
    );
}

#[test]
fn open_drafts_are_withdrawn_but_issued_documents_are_not() {
    let w = Ending {
        on: d("2019-08-01"),
        reason: "终止制定".into(),
        decision_document: None,
    };
    given(vec![drafted(), submitted()])
        .when(DocumentCommand::Withdraw(w.clone()))
        .then_expect_events(vec![DocumentEvent::Withdrawn(w.clone())]);
    assert_eq!(
        refused(through_issue(), DocumentCommand::Withdraw(w.clone())),
        "INVALID_TRANSITION"
    );
    assert_eq!(
        refused(
            vec![drafted(), DocumentEvent::Withdrawn(w.clone())],
            DocumentCommand::Withdraw(w)
        ),
        "INVALID_TRANSITION"
    );
}

#[test]
fn commands_on_a_document_never_drafted_are_refused() {
    assert_eq!(
        refused(
            vec![],
            DocumentCommand::StartReview {
                started_on: d("2019-07-02"),
                due_on: d("2019-07-20")
            }
        ),
        "INVALID_TRANSITION"
    );
}

#[test]
fn the_numbers_year_is_the_year_of_issue() {
    assert_eq!(
        refused(
            through_approval(),
            issue_command("南政办发〔2020〕63号", None, None)
        ),
        "INVALID_INPUT"
    );
}

#[test]
fn a_version_1_drafted_event_is_upcast_with_the_body_as_drafting_unit() {
    let v1 = serde_json::json!({"Drafted": {"id": ID, "draft": {
        "body_code": "NCX-GOV-OFFICE", "title": "旧格式", "class": "GOVERNMENT", "is_trial": false,
        "is_major_decision": false, "summary": "", "drafted_on": "2019-06-01"}}});
    assert!(
        serde_json::from_value::<DocumentEvent>(v1.clone()).is_err(),
        "v1 lacks a field"
    );
    match DocumentEvent::decode("Drafted", "1", v1).unwrap() {
        DocumentEvent::Drafted { draft, .. } => assert_eq!(draft.drafting_unit, "NCX-GOV-OFFICE"),
        other => panic!("{other:?}"),
    }
    assert_eq!(drafted().event_version(), "3");
}

#[test]
fn version_1_and_2_drafted_events_are_upcast_as_not_business_related() {
    let v2 = serde_json::json!({"Drafted": {"id": ID, "draft": {
        "body_code": "NCX-GOV-OFFICE", "title": "旧格式", "class": "GOVERNMENT", "is_trial": false,
        "is_major_decision": false, "summary": "", "drafted_on": "2019-06-01",
        "drafting_unit": "县司法局"}}});
    for version in ["1", "2"] {
        match DocumentEvent::decode("Drafted", version, v2.clone()).unwrap() {
            DocumentEvent::Drafted { draft, .. } => {
                assert!(!draft.market_related);
                assert_eq!(
                    draft.drafting_unit, "县司法局",
                    "v{version} keeps what it has"
                );
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn business_related_consultations_need_thirty_days() {
    let mut market = draft("关于优化营商环境的若干措施", false);
    market.market_related = true;
    let consult = |closes_on: &str| {
        vec![
            DocumentEvent::Drafted {
                id: ID.into(),
                draft: market.clone(),
            },
            DocumentEvent::ConsultationOpened {
                opened_on: d("2019-06-03"),
                closes_on: d(closes_on),
                channel: "网站".into(),
            },
        ]
    };
    // Ten working days would satisfy the 7-working-day rule, not the 30-day one.
    assert_eq!(
        codes(consult("2019-06-17"), "2019-06-04"),
        ["CONSULTATION_TOO_SHORT"]
    );
    assert!(codes(consult("2019-07-03"), "2019-06-04").is_empty());
}

fn valid_until(events: &[DocumentEvent]) -> NaiveDate {
    let mut doc = NormativeDocument::default();
    for e in events.iter().cloned() {
        doc.apply(e);
    }
    doc.issuance.unwrap().valid_until
}

#[test]
fn republication_restarts_the_validity_period_before_expiry_only() {
    let republish = |on: &str| DocumentCommand::Republish {
        republished_on: d(on),
        registration_number: Some("NCXR-2024-00012".into()),
        valid_until: None,
        validity_override_reason: None,
    };
    let expected = DocumentEvent::Republished(Republication {
        republished_on: d("2024-09-01"),
        registration_number: Some("NCXR-2024-00012".into()),
        valid_until: d("2029-08-31"),
        validity_override_reason: None,
    });
    given(through_issue())
        .when(republish("2024-09-01"))
        .then_expect_events(vec![expected.clone()]);
    assert_eq!(
        valid_until(&with(through_issue(), expected)),
        d("2029-08-31")
    );
    // valid_until is 2024-10-04: the day after, it has expired and cannot be republished.
    assert_eq!(
        refused(through_issue(), republish("2024-10-05")),
        "ALREADY_EXPIRED"
    );
    assert_eq!(
        refused(through_approval(), republish("2024-09-01")),
        "INVALID_TRANSITION"
    );
}

#[test]
fn a_document_expires_only_after_its_last_day_and_only_once() {
    let expire = |on: &str| DocumentCommand::Expire { on: d(on) };
    assert_eq!(
        refused(through_issue(), expire("2024-10-04")),
        "NOT_YET_EXPIRED"
    );
    given(through_issue())
        .when(expire("2024-10-05"))
        .then_expect_events(vec![DocumentEvent::Expired {
            on: d("2024-10-05"),
        }]);
    let expired = with(
        through_issue(),
        DocumentEvent::Expired {
            on: d("2024-10-05"),
        },
    );
    assert_eq!(refused(expired, expire("2024-10-06")), "INVALID_TRANSITION");
}

fn outcome(decision: CleanupDecision) -> CleanupOutcome {
    CleanupOutcome {
        campaign_id: "campaign-1".into(),
        decision,
        result_number: "南府办发〔2020〕30号".into(),
        decided_on: d("2020-12-31"),
        revision_deadline: (decision == CleanupDecision::Amend).then(|| d("2021-03-31")),
    }
}

#[test]
fn a_cleanup_decision_applies_once_with_its_effect() {
    let ending = Ending {
        on: d("2020-12-31"),
        reason: "cleanup result 南府办发〔2020〕30号".into(),
        decision_document: Some("南府办发〔2020〕30号".into()),
    };
    let apply = |c| DocumentCommand::ApplyCleanupDecision(outcome(c));
    given(through_issue())
        .when(apply(CleanupDecision::Repeal))
        .then_expect_events(vec![
            DocumentEvent::CleanupDecided(outcome(CleanupDecision::Repeal)),
            DocumentEvent::Repealed(ending.clone()),
        ]);
    given(through_issue())
        .when(apply(CleanupDecision::DeclareInvalid))
        .then_expect_events(vec![
            DocumentEvent::CleanupDecided(outcome(CleanupDecision::DeclareInvalid)),
            DocumentEvent::DeclaredInvalid(ending),
        ]);
    given(through_issue())
        .when(apply(CleanupDecision::Amend))
        .then_expect_events(vec![DocumentEvent::CleanupDecided(outcome(
            CleanupDecision::Amend,
        ))]);
    // The same campaign again (a re-run process manager): nothing is written.
    let decided = with(
        through_issue(),
        DocumentEvent::CleanupDecided(outcome(CleanupDecision::Continue)),
    );
    given(decided)
        .when(apply(CleanupDecision::Repeal))
        .then_expect_events(vec![]);
    // A document that left force meanwhile keeps its ending; the decision is still recorded.
    let expired = with(
        through_issue(),
        DocumentEvent::Expired {
            on: d("2024-10-05"),
        },
    );
    given(expired)
        .when(apply(CleanupDecision::Repeal))
        .then_expect_events(vec![DocumentEvent::CleanupDecided(outcome(
            CleanupDecision::Repeal,
        ))]);
}

#[test]
fn a_superseded_document_ends_and_names_its_successor() {
    let s = Supersession {
        on: d("2021-01-01"),
        superseded_by: "南府发〔2020〕12号".into(),
    };
    given(through_issue())
        .when(DocumentCommand::Supersede(s.clone()))
        .then_expect_events(vec![DocumentEvent::Superseded(s.clone())]);
    assert_eq!(
        refused(through_approval(), DocumentCommand::Supersede(s)),
        "INVALID_TRANSITION"
    );
}

fn record(number: &str, status: DocumentStatus, ended_on: Option<&str>) -> ImportedRecord {
    ImportedRecord {
        body_code: "NCX-GOV-OFFICE".into(),
        title: "南昌县城区道路交通管理办法".into(),
        class: DocumentClass::Government,
        is_trial: false,
        number: DocumentNumber::parse(number).unwrap(),
        issued_on: d("2019-03-01"),
        published_on: d("2019-03-05"),
        effective_on: d("2019-04-05"),
        valid_until: d("2024-04-04"),
        status,
        ended_on: ended_on.map(d),
        filed_on: Some(d("2019-03-20")),
        provenance: "南昌县规范性文件目录(2019年版), 县司法局".into(),
    }
}

#[test]
fn catalogued_documents_are_imported_with_their_provenance() {
    let import = |r| DocumentCommand::Import {
        id: ID.into(),
        record: r,
    };
    let r = record("南政办发〔2019〕12号", DocumentStatus::Issued, None);
    given(vec![])
        .when(import(r.clone()))
        .then_expect_events(vec![DocumentEvent::DocumentImported {
            id: ID.into(),
            record: r.clone(),
        }]);
    let mut doc = NormativeDocument::default();
    doc.apply(DocumentEvent::DocumentImported {
        id: ID.into(),
        record: r.clone(),
    });
    assert_eq!(doc.status, DocumentStatus::Issued);
    assert_eq!(doc.filing_status, FilingStatus::Filed);
    assert!(doc.imported.is_some());
    // Imported documents follow the same rules afterwards (here: repeal).
    given(vec![DocumentEvent::DocumentImported {
        id: ID.into(),
        record: r.clone(),
    }])
    .when(DocumentCommand::Repeal(Ending {
        on: d("2020-01-01"),
        reason: "清理".into(),
        decision_document: None,
    }))
    .then_expect_events(vec![DocumentEvent::Repealed(Ending {
        on: d("2020-01-01"),
        reason: "清理".into(),
        decision_document: None,
    })]);
    // Refusals: a taken number, a foreign agency code, incoherent status and dates.
    let taken = record("南政办发〔2019〕53号", DocumentStatus::Issued, None);
    assert_eq!(refused(vec![], import(taken)), "DOCUMENT_NUMBER_TAKEN");
    let foreign = record("南府发〔2019〕1号", DocumentStatus::Issued, None);
    assert_eq!(refused(vec![], import(foreign)), "AGENCY_CODE_NOT_OF_BODY");
    let no_end = record("南政办发〔2019〕13号", DocumentStatus::Repealed, None);
    assert_eq!(refused(vec![], import(no_end)), "INVALID_INPUT");
    let draft_status = record("南政办发〔2019〕14号", DocumentStatus::Drafting, None);
    assert_eq!(refused(vec![], import(draft_status)), "INVALID_INPUT");
    let mut backwards = record("南政办发〔2019〕15号", DocumentStatus::Issued, None);
    backwards.published_on = d("2019-02-01");
    assert_eq!(refused(vec![], import(backwards)), "INVALID_INPUT");
    let ended = record(
        "南政办发〔2019〕16号",
        DocumentStatus::Repealed,
        Some("2020-06-30"),
    );
    given(vec![])
        .when(import(ended.clone()))
        .then_expect_events(vec![DocumentEvent::DocumentImported {
            id: ID.into(),
            record: ended,
        }]);
    assert_eq!(
        refused(vec![drafted()], import(r)),
        "DOCUMENT_ALREADY_EXISTS"
    );
}

fn calendar() -> crate::domain::calendar::WorkingCalendar {
    crate::domain::calendar::WorkingCalendar::from_notices_json(include_str!(
        "../../../data/calendar/cn-holidays.json"
    ))
    .unwrap()
}

/// The warnings of a document, apart from TEXT_UNMATCHED (these fixtures have no texts; that
/// warning has its own test).
fn codes(events: Vec<DocumentEvent>, today: &str) -> Vec<&'static str> {
    all_codes(events, today)
        .into_iter()
        .filter(|c| *c != "TEXT_UNMATCHED")
        .collect()
}

fn all_codes(events: Vec<DocumentEvent>, today: &str) -> Vec<&'static str> {
    let mut doc = NormativeDocument::default();
    for e in events {
        doc.apply(e);
    }
    doc.warnings(d(today), &calendar(), &WarningSettings::default())
        .into_iter()
        .map(|w| w.code)
        .collect()
}

/// A document issued without a recorded text cannot show that the text issued is the text
/// reviewed: it says so. One issued with its text does not.
#[test]
fn documents_issued_without_a_text_are_flagged() {
    assert!(all_codes(through_issue(), "2019-10-05").contains(&"TEXT_UNMATCHED"));
    let mut with_text = reviewed_lawful_on_v1();
    let mut deliberation = deliberation(DeliberationOutcome::Approved);
    deliberation.text_version = Some(1);
    with_text.push(DocumentEvent::Deliberated(deliberation));
    let mut issuance = issued();
    if let DocumentEvent::Issued(i) = &mut issuance {
        i.text_version = Some(1);
    }
    with_text.push(issuance);
    assert!(!all_codes(with_text, "2019-10-05").contains(&"TEXT_UNMATCHED"));
}

#[test]
fn warn_only_rules_are_reported_not_enforced() {
    // Review past its due date.
    assert_eq!(
        codes(vec![drafted(), submitted(), started()], "2019-07-21"),
        ["REVIEW_OVERDUE"]
    );
    assert!(codes(vec![drafted(), submitted(), started()], "2019-07-20").is_empty());
    // Published 2019-09-05, effective 2019-10-05 (30 days: fine); not filed by 10-05.
    assert!(codes(through_issue(), "2019-10-05").is_empty());
    assert_eq!(codes(through_issue(), "2019-10-06"), ["FILING_OVERDUE"]);
    let late = with(
        through_issue(),
        DocumentEvent::FiledForRecord {
            filed_on: d("2019-10-10"),
            authorities: vec!["南昌市人民政府".into()],
        },
    );
    assert_eq!(codes(late.clone(), "2019-11-09"), ["FILED_LATE"]);
    // The authority did not decide within its 30 days either.
    assert_eq!(
        codes(late, "2019-11-10"),
        ["FILED_LATE", "FILING_REVIEW_OVERDUE"]
    );
    // A consultation of fewer than 7 working days.
    let short = vec![
        drafted(),
        DocumentEvent::ConsultationOpened {
            opened_on: d("2019-06-05"),
            closes_on: d("2019-06-12"),
            channel: "网站".into(),
        },
    ];
    assert_eq!(codes(short, "2019-06-06"), ["CONSULTATION_TOO_SHORT"]);
    // Commencement sooner than 30 days after publication.
    let mut soon = through_approval();
    soon.push(DocumentEvent::Issued(Issuance {
        effective_on: d("2019-09-10"),
        ..match issued() {
            DocumentEvent::Issued(i) => i,
            _ => unreachable!(),
        }
    }));
    assert!(codes(soon, "2019-09-20").contains(&"COMMENCEMENT_TOO_SOON"));
}

/// A supersession stored under its former name `Amended` decodes as `Superseded`, with the
/// same content; the stored row itself is never rewritten.
#[test]
fn a_stored_amended_event_reads_as_superseded() {
    let stored = serde_json::json!({"Amended": {"on": "2020-03-01", "superseded_by": "南政办发〔2020〕1号"}});
    assert!(super::needs_upcast("Amended", "1"));
    assert!(!super::needs_upcast("Superseded", "1"));
    let event = DocumentEvent::decode("Amended", "1", stored).unwrap();
    assert_eq!(
        event,
        DocumentEvent::Superseded(Supersession {
            on: "2020-03-01".parse().unwrap(),
            superseded_by: "南政办发〔2020〕1号".into(),
        })
    );
    assert_eq!(event.event_type(), "Superseded");
}

// ---- Texts: versions, anchors, "issued = reviewed", corrections ----

const TEXT_V1: &str = "第一条　为了规范管理，制定本规定。\n第二条　本规定适用于本县行政区域。\n第三条　本规定自发布之日起施行。";
const TEXT_V2: &str = "第一条　为了规范管理，制定本规定。\n第二条　本规定适用于本县行政区域，法律另有规定的除外。\n第三条　本规定自发布之日起施行。";

fn recorded(version: u32, stage: TextStage, text: &str, on: &str) -> DocumentEvent {
    let normalised = crate::domain::text::normalise(text);
    DocumentEvent::TextRecorded(RecordedText {
        version,
        stage,
        hash: crate::domain::text::text_hash(&normalised),
        text: normalised,
        recorded_on: d(on),
    })
}

fn events_of(events: Vec<DocumentEvent>, command: DocumentCommand) -> Vec<DocumentEvent> {
    given(events)
        .when(command)
        .inspect_result()
        .expect("the command should be accepted")
}

/// Submitted with text v1 and reviewed LAWFUL on it.
fn reviewed_lawful_on_v1() -> Vec<DocumentEvent> {
    let mut concluded = concluded(ReviewOutcome::Lawful, 0);
    if let DocumentEvent::ReviewConcluded { text_version, .. } = &mut concluded {
        *text_version = Some(1);
    }
    vec![
        drafted(),
        submitted(),
        recorded(1, TextStage::Submitted, TEXT_V1, "2019-07-01"),
        started(),
        concluded,
    ]
}

/// A text supplied with a command is recorded after the command's own event, normalised,
/// and identified by its hash; the same text again at the same stage records nothing.
#[test]
fn a_text_supplied_with_a_command_becomes_a_version() {
    let events = events_of(
        vec![],
        DocumentCommand::Draft {
            id: ID.into(),
            draft: draft("关于规范管理的规定", false),
            text: Some(format!("{TEXT_V1}  \r\n")),
        },
    );
    assert_eq!(
        events,
        vec![
            drafted_titled("关于规范管理的规定"),
            recorded(1, TextStage::Draft, TEXT_V1, "2019-06-01")
        ]
    );
    let again = events_of(
        events,
        DocumentCommand::ReviseDraft {
            title: Some("关于规范管理的规定（修改）".into()),
            summary: None,
            is_trial: None,
            is_major_decision: None,
            revised_on: d("2019-06-05"),
            text: Some(TEXT_V1.into()),
        },
    );
    assert_eq!(
        again.len(),
        1,
        "an unchanged text is not a new version: {again:?}"
    );
}

fn drafted_titled(title: &str) -> DocumentEvent {
    DocumentEvent::Drafted {
        id: ID.into(),
        draft: draft(title, false),
    }
}

/// An anchor must name a recorded version, a clause of it, and words of that clause.
#[test]
fn anchors_to_missing_versions_clauses_or_words_are_refused() {
    let mut under_review = reviewed_lawful_on_v1();
    under_review.pop();
    let opinion = |version, clause: &str, quote: Option<&str>| {
        DocumentCommand::AddAdvisorOpinion(AdvisorOpinion {
            advisor_id: "a1".into(),
            advisor_name: "律师".into(),
            text: "建议明确适用范围".into(),
            conclusion: None,
            given_on: d("2019-07-05"),
            anchor: Some(Anchor {
                version,
                clause: clause.into(),
                quote: quote.map(Into::into),
            }),
        })
    };
    for (version, clause, quote) in [
        (2, "art-2", None),
        (1, "art-9", None),
        (1, "art-2", Some("不存在的字句")),
    ] {
        let err = given(under_review.clone())
            .when(opinion(version, clause, quote))
            .inspect_result()
            .unwrap_err();
        assert_eq!(err.rule(), "INVALID_INPUT", "{version} {clause}: {err}");
        assert!(err.is_bad_input());
    }
    let ok = events_of(under_review, opinion(1, "art-2-p1", Some("本县行政区域")));
    assert_eq!(ok.len(), 1);
}

/// The conclusion records the version it was reached on; the deliberation takes that
/// version by default, and issuing any other text is refused with TEXT_NOT_REVIEWED.
#[test]
fn the_text_issued_must_be_the_text_reviewed() {
    let lawful = reviewed_lawful_on_v1();
    let conclude = events_of(
        {
            let mut e = lawful.clone();
            e.pop();
            e
        },
        DocumentCommand::ConcludeReview {
            outcome: ReviewOutcome::Lawful,
            issues: vec![],
            opinion: "合法".into(),
            concluded_on: d("2019-07-10"),
        },
    );
    assert!(
        matches!(
            conclude[0],
            DocumentEvent::ReviewConcluded {
                text_version: Some(1),
                ..
            }
        ),
        "{conclude:?}"
    );
    let deliberation = events_of(
        lawful.clone(),
        DocumentCommand::RecordDeliberation(deliberation(DeliberationOutcome::Approved)),
    );
    let DocumentEvent::Deliberated(taken) = &deliberation[0] else {
        panic!("{deliberation:?}")
    };
    assert_eq!(taken.text_version, Some(1));
    let approved = [lawful, deliberation].concat();
    let mut with_other_text = issue_command("南政办发〔2019〕63号", None, None);
    if let DocumentCommand::Issue { text, .. } = &mut with_other_text {
        *text = Some(TEXT_V2.into());
    }
    assert_eq!(
        refused(approved.clone(), with_other_text),
        "TEXT_NOT_REVIEWED"
    );
    let mut with_same_text = issue_command("南政办发〔2019〕63号", None, None);
    if let DocumentCommand::Issue { text, .. } = &mut with_same_text {
        *text = Some(format!("{TEXT_V1}\n"));
    }
    let issued = events_of(approved.clone(), with_same_text);
    assert!(matches!(&issued[0], DocumentEvent::Issued(i) if i.text_version == Some(2)));
    assert!(matches!(&issued[1], DocumentEvent::TextRecorded(t) if t.stage == TextStage::Issued));
    // Without a text, the text issued is the one deliberated.
    let plain = events_of(approved, issue_command("南政办发〔2019〕63号", None, None));
    assert!(matches!(&plain[0], DocumentEvent::Issued(i) if i.text_version == Some(1)));
}

/// After MUST_REVISE, a revised text is deliberated only once the legal office confirmed
/// its changes, listing every changed clause.
#[test]
fn a_revised_text_needs_the_legal_offices_confirmation() {
    let mut events = reviewed_lawful_on_v1();
    events.pop();
    events.push(DocumentEvent::ReviewConcluded {
        outcome: ReviewOutcome::MustRevise,
        issues: vec![ReviewIssue {
            number: 1,
            clause: None,
            text: "适用范围不明确".into(),
            anchor: Some(Anchor {
                version: 1,
                clause: "art-2".into(),
                quote: None,
            }),
        }],
        opinion: "应当修改".into(),
        concluded_on: d("2019-07-10"),
        text_version: Some(1),
    });
    let revise = |clause: Option<&str>| DocumentCommand::SubmitRevision {
        submitted_on: d("2019-07-15"),
        responses: vec![IssueResponse {
            issue_number: 1,
            adopted: true,
            reason: None,
            clause: clause.map(Into::into),
        }],
        text: Some(TEXT_V2.into()),
    };
    assert_eq!(
        refused(events.clone(), revise(None)),
        "ISSUE_RESPONSES_INCOMPLETE"
    );
    assert_eq!(
        refused(events.clone(), revise(Some("art-7"))),
        "INVALID_INPUT"
    );
    events.extend(events_of(events.clone(), revise(Some("art-2"))));
    let deliberate =
        || DocumentCommand::RecordDeliberation(deliberation(DeliberationOutcome::Approved));
    assert_eq!(refused(events.clone(), deliberate()), "TEXT_NOT_REVIEWED");
    let confirm = |accepted: &[&str]| DocumentCommand::ConfirmRevisedText {
        to_version: None,
        accepted: accepted.iter().map(|s| s.to_string()).collect(),
        confirmed_on: d("2019-07-16"),
    };
    assert_eq!(refused(events.clone(), confirm(&[])), "INVALID_INPUT");
    assert_eq!(
        refused(events.clone(), confirm(&["art-2", "art-3"])),
        "INVALID_INPUT"
    );
    events.extend(events_of(events.clone(), confirm(&["art-2"])));
    let taken = events_of(events, deliberate());
    assert!(matches!(&taken[0], DocumentEvent::Deliberated(d) if d.text_version == Some(2)));
}

/// A correction with a text changes a few characters of a clause at most; anything more is
/// an amendment.
#[test]
fn a_correction_may_not_amend_the_text() {
    let mut issued_v1 = reviewed_lawful_on_v1();
    let mut deliberation = deliberation(DeliberationOutcome::Approved);
    deliberation.text_version = Some(1);
    issued_v1.push(DocumentEvent::Deliberated(deliberation));
    let mut issuance = issued();
    if let DocumentEvent::Issued(i) = &mut issuance {
        i.text_version = Some(1);
    }
    issued_v1.push(issuance);
    let correct = |text: &str| DocumentCommand::Correct {
        correction: Correction {
            corrected_on: d("2019-09-10"),
            description: "勘误".into(),
        },
        text: Some(text.into()),
    };
    let typo = TEXT_V1.replace("本县行政区域", "本县行政区划");
    let ok = events_of(issued_v1.clone(), correct(&typo));
    assert!(matches!(&ok[1], DocumentEvent::TextRecorded(t) if t.stage == TextStage::Corrected));
    let rewritten = TEXT_V1.replace(
        "本县行政区域",
        "本县行政区域内的行政机关、企业事业单位、社会组织和个人，法律另有规定的除外",
    );
    assert_eq!(
        refused(issued_v1.clone(), correct(&rewritten)),
        "CORRECTION_TOO_LARGE"
    );
    let added = format!("{TEXT_V1}\n第四条　新增条款。");
    assert_eq!(refused(issued_v1, correct(&added)), "CORRECTION_TOO_LARGE");
}

/// Payloads stored before texts existed still decode (the new fields default).
#[test]
fn conclusions_stored_before_texts_decode() {
    let stored = serde_json::json!({"ReviewConcluded": {
        "outcome": "LAWFUL", "issues": [{"number": 1, "clause": "第一条", "text": "t"}],
        "opinion": "o", "concluded_on": "2019-07-10"}});
    let e = DocumentEvent::decode("ReviewConcluded", "1", stored).unwrap();
    assert!(matches!(
        e,
        DocumentEvent::ReviewConcluded {
            text_version: None,
            ..
        }
    ));
}

/// A file joins the package with its SHA-256 and the document's status; the same file twice,
/// an unaccepted type, or a file after the review are refused.
#[test]
fn the_submission_package_takes_each_file_once() {
    use base64::Engine;
    let add = |content: &[u8], content_type: &str| {
        DocumentCommand::AddAttachment(NewAttachment {
            name: "起草说明.pdf".into(),
            kind: MaterialKind::DraftingExplanation,
            content_type: content_type.into(),
            content_base64: base64::engine::general_purpose::STANDARD.encode(content),
            added_on: d("2019-07-01"),
        })
    };
    let events = events_of(
        vec![drafted(), submitted()],
        add(b"%PDF-1.4 a", "application/pdf"),
    );
    let DocumentEvent::AttachmentAdded(a) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(a.size, 10);
    assert_eq!(a.stage, DocumentStatus::Submitted);
    assert_eq!(
        a.sha256,
        crate::domain::text::text_hash_bytes(b"%PDF-1.4 a")
    );
    let with_one = [vec![drafted(), submitted()], events].concat();
    assert_eq!(
        refused(with_one.clone(), add(b"%PDF-1.4 a", "application/pdf")),
        "INVALID_INPUT"
    );
    assert_eq!(
        refused(with_one, add(b"MZ", "application/x-msdownload")),
        "INVALID_INPUT"
    );
    assert_eq!(
        refused(through_approval(), add(b"%PDF-1.4 b", "application/pdf")),
        "INVALID_TRANSITION"
    );
}

/// The outcome an event carries, when its outcome decides the status (as the API spells it).
fn outcome_of(event: &DocumentEvent) -> Option<String> {
    let name = |v| serde_json::to_value(v).ok()?.as_str().map(str::to_owned);
    match event {
        DocumentEvent::ReviewConcluded { outcome, .. } => name(serde_json::json!(outcome)),
        DocumentEvent::Deliberated(d) => name(serde_json::json!(d.outcome)),
        DocumentEvent::FilingReviewed { outcome, .. } => name(serde_json::json!(outcome)),
        _ => None,
    }
}

/// One command of every kind that can change a document's status, with dates that fit the
/// fixtures' history.
fn status_commands() -> Vec<DocumentCommand> {
    let ending = |on: &str| Ending {
        on: d(on),
        reason: "理由".into(),
        decision_document: Some("南府发〔2022〕9号".into()),
    };
    let cleanup = |decision| {
        DocumentCommand::ApplyCleanupDecision(CleanupOutcome {
            campaign_id: "campaign".into(),
            decision,
            result_number: "南府发〔2022〕9号".into(),
            decided_on: d("2022-06-01"),
            revision_deadline: None,
        })
    };
    let mut commands = vec![
        DocumentCommand::OpenConsultation {
            opened_on: d("2019-06-05"),
            closes_on: d("2019-06-20"),
            channel: "县政府门户网站".into(),
        },
        DocumentCommand::CloseConsultation {
            closed_on: d("2019-06-20"),
            comments_received: 1,
            adoption_summary: "采纳1条".into(),
        },
        DocumentCommand::SubmitForReview {
            text: None,
            submitted_on: d("2019-07-01"),
            materials: vec!["送审稿".into()],
        },
        DocumentCommand::ReturnMaterials {
            returned_on: d("2019-07-02"),
            reason: "缺少起草说明".into(),
        },
        DocumentCommand::StartReview {
            started_on: d("2019-07-02"),
            due_on: d("2019-07-20"),
        },
        DocumentCommand::SubmitRevision {
            text: None,
            submitted_on: d("2019-07-15"),
            responses: vec![response(1, true, None)],
        },
        issue_command("南政办发〔2019〕63号", None, None),
        review(CITY, FilingReviewOutcome::Revoked, "2019-10-01"),
        DocumentCommand::Expire {
            on: d("2025-01-01"),
        },
        DocumentCommand::Repeal(ending("2023-01-01")),
        DocumentCommand::Withdraw(ending("2019-08-01")),
        DocumentCommand::Supersede(Supersession {
            on: d("2023-01-01"),
            superseded_by: "南政办发〔2023〕1号".into(),
        }),
        cleanup(CleanupDecision::Repeal),
        cleanup(CleanupDecision::DeclareInvalid),
    ];
    for outcome in [
        ReviewOutcome::Lawful,
        ReviewOutcome::MustRevise,
        ReviewOutcome::Unlawful,
    ] {
        commands.push(conclude(
            outcome,
            usize::from(outcome != ReviewOutcome::Lawful),
        ));
    }
    for outcome in [
        DeliberationOutcome::Approved,
        DeliberationOutcome::ApprovedWithChanges,
        DeliberationOutcome::Rejected,
        DeliberationOutcome::Deferred,
    ] {
        commands.push(DocumentCommand::RecordDeliberation(deliberation(outcome)));
    }
    commands.push(file("2019-09-20", &[CITY, CONGRESS]));
    commands
}

#[test]
fn the_lifecycle_table_is_exactly_what_the_guards_allow() {
    use lifecycle::{START, TRANSITIONS};
    // Explore from a fresh draft: every command from every (status, last event) reached, so
    // a status reached two ways (UNDER_REVIEW by starting or by a revision) is tried both.
    let mut queue = vec![vec![drafted()]];
    let mut seen = vec![(START, "Drafted".to_owned())];
    let mut observed: Vec<(DocumentStatus, String, Option<String>, DocumentStatus)> = vec![];
    while let Some(history) = queue.pop() {
        let from = fold(history.clone()).status;
        for command in status_commands() {
            let Ok(events) = given(history.clone()).when(command).inspect_result() else {
                continue;
            };
            let mut next = history.clone();
            let mut at = from;
            for event in events {
                let event_type = event.event_type();
                let outcome = outcome_of(&event);
                next.push(event);
                let to = fold(next.clone()).status;
                if to != at {
                    observed.push((at, event_type.clone(), outcome, to));
                }
                at = to;
                let key = (to, event_type);
                if !seen.contains(&key) {
                    seen.push(key);
                    queue.push(next.clone());
                }
            }
        }
    }
    for (from, event, outcome, to) in &observed {
        assert!(
            TRANSITIONS.iter().any(|t| t.from.contains(from)
                && t.event == event
                && t.to == *to
                && (t.outcomes.is_empty()
                    || outcome.as_deref().is_some_and(|o| t.outcomes.contains(&o)))),
            "{from:?} --{event} {outcome:?}--> {to:?} happens but is not in the table"
        );
    }
    for t in TRANSITIONS {
        for from in t.from {
            for outcome in t
                .outcomes
                .iter()
                .map(|o| Some(*o))
                .chain(t.outcomes.is_empty().then_some(None))
            {
                assert!(
                    observed.iter().any(|(f, e, o, to)| f == from
                        && e == t.event
                        && *to == t.to
                        && (outcome.is_none() || o.as_deref() == outcome)),
                    "the table has {from:?} --{} {outcome:?}--> {:?} but no command does it",
                    t.event,
                    t.to
                );
            }
        }
    }
}

#[test]
fn every_status_has_a_place_in_the_lifecycle_picture() {
    let ordered = lifecycle::statuses_in_order();
    for status in ordered.iter() {
        assert!(
            lifecycle::depth(*status).is_some(),
            "{status:?} unreachable"
        );
    }
    assert_eq!(lifecycle::depth(DocumentStatus::Drafting), Some(0));
    // Drafted → submitted → started → concluded → deliberated → issued.
    assert_eq!(lifecycle::depth(DocumentStatus::Issued), Some(5));
    assert_eq!(ordered.len(), 15, "every status but none twice");
}

#[test]
fn the_path_lists_each_status_change_with_the_event_that_made_it() {
    let mut events = revising();
    events.push(DocumentEvent::RevisionSubmitted {
        submitted_on: d("2019-07-15"),
        responses: vec![response(1, true, None), response(2, true, None)],
    });
    events.push(deliberated(DeliberationOutcome::Approved));
    events.push(issued());
    let statuses = lifecycle::path(events);
    use DocumentStatus as S;
    assert_eq!(
        statuses,
        vec![
            (1, S::Drafting),
            (2, S::Submitted),
            (3, S::UnderReview),
            (4, S::Revising),
            (5, S::UnderReview),
            (6, S::Approved),
            (7, S::Issued),
        ]
    );
}

#[test]
fn a_package_lacks_what_is_neither_attached_nor_named() {
    use MaterialKind as K;
    assert_eq!(
        fold(vec![drafted()]).missing_materials(),
        vec![],
        "not submitted"
    );
    let named = |materials: &[&str]| {
        fold(vec![
            drafted(),
            DocumentEvent::SubmittedForReview {
                submitted_on: d("2019-07-01"),
                materials: materials.iter().map(|m| (*m).to_owned()).collect(),
            },
        ])
        .missing_materials()
    };
    // `submitted()` names 送审稿 and 起草说明: the legal bases are missing.
    assert_eq!(
        fold(vec![drafted(), submitted()]).missing_materials(),
        vec![K::LegalBasis]
    );
    assert_eq!(named(&["送审稿", "起草说明", "制定依据"]), vec![]);
    assert_eq!(
        named(&["送审稿"]),
        vec![K::DraftingExplanation, K::LegalBasis]
    );
    // After a consultation its record is needed too; an attached file of a kind counts.
    let mut events = vec![
        drafted(),
        DocumentEvent::ConsultationOpened {
            opened_on: d("2019-06-05"),
            closes_on: d("2019-06-20"),
            channel: "网站".into(),
        },
        DocumentEvent::ConsultationClosed {
            closed_on: d("2019-06-20"),
            comments_received: 0,
            adoption_summary: "无".into(),
        },
        submitted(),
    ];
    assert_eq!(
        fold(events.clone()).missing_materials(),
        vec![K::LegalBasis, K::ConsultationReport]
    );
    events.push(DocumentEvent::AttachmentAdded(RecordedAttachment {
        name: "依据.pdf".into(),
        kind: K::LegalBasis,
        content_type: "application/pdf".into(),
        size: 1,
        sha256: "00".into(),
        content_base64: "AA==".into(),
        added_on: d("2019-07-01"),
        stage: DocumentStatus::Submitted,
    }));
    assert_eq!(
        fold(events).missing_materials(),
        vec![K::ConsultationReport]
    );
}
