//! The annual figures from hand-built states, without a database.

use super::*;
use crate::domain::DocumentNumber;
use crate::domain::certification_item::{BasisLevel, CertificationItemEvent, ItemRegistration};
use crate::domain::cleanup_campaign::{
    CampaignKind, CleanupCampaignEvent, CleanupScope, DecisionReview, InventoryEntry, Launch,
    Proposal, Publication,
};
use crate::domain::document::*;
use crate::domain::issuing_body::{IssuingBodyEvent, IssuingBodyListing};
use cqrs_es::Aggregate;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn fold<A: Aggregate + Default>(events: Vec<A::Event>) -> A {
    let mut a = A::default();
    for e in events {
        a.apply(e);
    }
    a
}

fn body(code: &str, kind: IssuingBodyKind, agency: &str) -> (String, IssuingBody) {
    (
        code.into(),
        fold(vec![IssuingBodyEvent::IssuingBodyListed(
            IssuingBodyListing {
                code: code.into(),
                name: code.into(),
                kind,
                agency_codes: vec![agency.into()],
                parent: None,
                review_body: None,
                filing_authorities: vec![],
                listed_from: d("2014-01-01"),
                listing_document: None,
            },
        )]),
    )
}

/// A document through review to issue and filing, with the given review outcome first.
fn document(body: &str, number: &str, first: ReviewOutcome, filed_on: &str) -> NormativeDocument {
    let conclusion = |outcome, on: &str, issues: u32| DocumentEvent::ReviewConcluded {
        text_version: None,
        outcome,
        issues: (1..=issues)
            .map(|number| ReviewIssue {
                anchor: None,
                number,
                clause: None,
                text: "x".into(),
            })
            .collect(),
        opinion: "意见".into(),
        concluded_on: d(on),
    };
    let mut events = vec![
        DocumentEvent::Drafted {
            id: number.into(),
            draft: Draft {
                body_code: body.into(),
                title: "t".into(),
                class: DocumentClass::Government,
                is_trial: false,
                is_major_decision: false,
                summary: String::new(),
                drafted_on: d("2019-03-01"),
                drafting_unit: body.into(),
                market_related: false,
            },
        },
        // Issued with its text on record (else TEXT_UNMATCHED would warn on every document).
        DocumentEvent::TextRecorded(RecordedText {
            version: 1,
            stage: crate::domain::text::TextStage::Draft,
            hash: "h".into(),
            text: "第一条　本办法自发布之日起施行。".into(),
            recorded_on: d("2019-03-01"),
        }),
        DocumentEvent::SubmittedForReview {
            submitted_on: d("2019-04-01"),
            materials: vec!["送审稿".into()],
        },
        DocumentEvent::ReviewStarted {
            started_on: d("2019-04-02"),
            due_on: d("2019-04-20"),
        },
        DocumentEvent::AdvisorOpinionAdded(AdvisorOpinion {
            anchor: None,
            advisor_id: "a".into(),
            advisor_name: "a".into(),
            text: "意见".into(),
            conclusion: None,
            given_on: d("2019-04-05"),
        }),
    ];
    if first == ReviewOutcome::MustRevise {
        events.push(conclusion(ReviewOutcome::MustRevise, "2019-04-25", 1));
        events.push(DocumentEvent::RevisionSubmitted {
            submitted_on: d("2019-05-01"),
            responses: vec![IssueResponse {
                clause: None,
                issue_number: 1,
                adopted: true,
                reason: None,
            }],
        });
    } else {
        events.push(conclusion(ReviewOutcome::Lawful, "2019-04-12", 0));
    }
    events.push(DocumentEvent::Deliberated(Deliberation {
        text_version: None,
        outcome: DeliberationOutcome::Approved,
        meeting_type: Some(MeetingType::ExecutiveMeeting),
        meeting: "常务会议".into(),
        held_on: d("2019-05-10"),
        minutes_reference: None,
        dissent: None,
    }));
    events.push(DocumentEvent::Issued(Issuance {
        text_version: Some(1),
        number: DocumentNumber::parse(number).unwrap(),
        registration_number: None,
        signer: "县长".into(),
        issued_on: d("2019-06-01"),
        published_on: d("2019-06-03"),
        effective_on: d("2019-07-03"),
        valid_until: d("2020-07-02"),
        validity_override_reason: Some("试行一年".into()),
    }));
    events.push(DocumentEvent::FiledForRecord {
        filed_on: d(filed_on),
        authorities: vec!["南昌市人民政府".into()],
    });
    events.push(DocumentEvent::FilingReviewed {
        authority: Some("南昌市人民政府".into()),
        outcome: FilingReviewOutcome::Accepted,
        // Within the authority's 30 days.
        reviewed_on: d(filed_on) + chrono::Days::new(20),
        notes: None,
        correction_due_on: None,
    });
    fold(events)
}

fn item(cancelled: bool) -> CertificationItem {
    let mut events = vec![CertificationItemEvent::CertificationItemRegistered {
        id: "i".into(),
        registration: ItemRegistration {
            name: "证明".into(),
            matter: "事项".into(),
            basis_level: BasisLevel::NormativeDocument,
            basis_citation: "某文件".into(),
            requesting_unit: "u".into(),
            issuing_unit: "u".into(),
            service_guide: String::new(),
            risk_area: None,
            registered_on: d("2019-07-20"),
        },
    }];
    if cancelled {
        events.push(CertificationItemEvent::CertificationItemCancelled {
            cancelled_on: d("2019-09-30"),
            replacement_method: "告知承诺".into(),
            campaign_id: Some("c".into()),
        });
    }
    fold(events)
}

fn campaign(doc_id: &str) -> CleanupCampaign {
    fold(vec![
        CleanupCampaignEvent::CleanupLaunched {
            id: "c".into(),
            launch: Launch {
                notice_number: "n".into(),
                title: "t".into(),
                kind: CampaignKind::Periodic,
                organiser: "司法局".into(),
                scope: CleanupScope {
                    citing: None,
                    body_codes: vec![],
                    cut_off: d("2019-10-31"),
                    classes: vec![],
                    documents: true,
                    certification_items: false,
                },
                deadline: d("2019-11-30"),
                launched_on: d("2019-11-01"),
            },
        },
        CleanupCampaignEvent::InventoryCompiled {
            entries: vec![InventoryEntry {
                kind: EntryKind::Document,
                id: doc_id.into(),
                label: "l".into(),
                body_code: Some("GOV".into()),
                basis_level: None,
                commitment_excluded: false,
            }],
        },
        CleanupCampaignEvent::DecisionProposed(Proposal {
            entry_id: doc_id.into(),
            decision: Decision::Repeal,
            grounds: "g".into(),
            proposed_on: d("2019-11-05"),
            revision_deadline: None,
            replacement_method: None,
            commitment_allowed: None,
            commitment_reason: None,
        }),
        CleanupCampaignEvent::DecisionReviewed(DecisionReview {
            entry_id: doc_id.into(),
            accepted: true,
            comments: None,
            reviewed_on: d("2019-11-10"),
        }),
        CleanupCampaignEvent::ResultPublished(Publication {
            result_number: DocumentNumber::parse("南政办发〔2019〕90号").unwrap(),
            published_on: d("2019-12-20"),
        }),
    ])
}

fn report(year: i32, only: Option<&str>) -> AnnualReport {
    let documents = vec![
        (
            "doc-a".to_owned(),
            document(
                "GOV",
                "南府发〔2019〕1号",
                ReviewOutcome::Lawful,
                "2019-06-20",
            ),
        ),
        (
            "doc-b".to_owned(),
            document(
                "DEPT",
                "南司发〔2019〕2号",
                ReviewOutcome::MustRevise,
                "2019-07-20",
            ),
        ),
    ];
    let items = vec![
        ("item-1".to_owned(), item(true)),
        ("item-2".to_owned(), item(false)),
    ];
    let campaigns = vec![("c".to_owned(), campaign("doc-a"))];
    let bodies = vec![
        body("GOV", IssuingBodyKind::CountyGovernment, "南府发"),
        body("DEPT", IssuingBodyKind::CountyDepartment, "南司发"),
    ];
    annual_report(&ReportInput {
        year,
        issuing_body: only,
        body_group: None,
        documents: &documents,
        items: &items,
        campaigns: &campaigns,
        bodies: &bodies,
        warnings: &WarningSettings::default(),
        calendar: &crate::domain::calendar::WorkingCalendar::default(),
    })
}

fn value(r: &AnnualReport, key: &str) -> f64 {
    r.figure(key)
        .unwrap_or_else(|| panic!("no figure {key}"))
        .value
}

#[test]
fn the_figures_count_events_by_their_own_dates() {
    let r = report(2019, None);
    assert_eq!(value(&r, "reviews.submitted"), 2.0);
    assert_eq!(value(&r, "reviews.concluded"), 2.0);
    assert_eq!(value(&r, "reviews.lawful"), 1.0);
    assert_eq!(value(&r, "reviews.mustRevise"), 1.0);
    // 10 days (04-02 → 04-12) and 23 days (04-02 → 04-25): median 16.5; the second overdue.
    assert_eq!(value(&r, "reviews.medianDays"), 16.5);
    assert_eq!(value(&r, "reviews.overdue"), 1.0);
    assert_eq!(
        value(&r, "reviews.overdueDays"),
        5.0,
        "due 04-20, concluded 04-25"
    );
    assert_eq!(value(&r, "reviews.advisorOpinions"), 2.0);
    assert_eq!(value(&r, "output.issued"), 2.0);
    assert_eq!(value(&r, "output.issued.government"), 1.0);
    assert_eq!(value(&r, "output.issued.department"), 1.0);
    // Published 06-03: filed 06-20 is on time, 07-20 is not (47 days).
    assert_eq!(value(&r, "filing.filed"), 2.0);
    assert_eq!(value(&r, "filing.onTime"), 1.0);
    assert_eq!(value(&r, "filing.accepted"), 2.0);
    assert_eq!(value(&r, "cleanup.examined"), 1.0);
    assert_eq!(value(&r, "cleanup.repeal"), 1.0);
    assert_eq!(value(&r, "cleanup.continue"), 0.0);
    assert_eq!(value(&r, "certification.registered"), 2.0);
    assert_eq!(value(&r, "certification.cancelled"), 1.0);
    assert_eq!(value(&r, "bodies.listed"), 2.0);
    assert_eq!(value(&r, "validity.expiringNextYear"), 2.0);
    // Nothing happened in 2018.
    let earlier = report(2018, None);
    assert!(
        earlier
            .figures
            .iter()
            .all(|f| f.key == "bodies.listed" || f.value == 0.0)
    );
}

#[test]
fn every_figure_names_what_it_counted() {
    let r = report(2019, None);
    let cancelled = r.figure("certification.cancelled").unwrap();
    assert_eq!(cancelled.provenance.aggregate_type, "CertificationItem");
    assert_eq!(cancelled.provenance.aggregate_ids, ["item-1"]);
    assert_eq!(
        cancelled.provenance.event_types,
        ["CertificationItemCancelled"]
    );
    let on_time = r.figure("filing.onTime").unwrap();
    assert_eq!(on_time.provenance.aggregate_ids, ["doc-a"]);
    let repealed = r.figure("cleanup.repeal").unwrap();
    assert_eq!(repealed.provenance.aggregate_ids, ["c"]);
}

#[test]
fn a_body_filter_limits_documents_and_leaves_out_county_wide_figures() {
    let r = report(2019, Some("DEPT"));
    assert_eq!(value(&r, "output.issued"), 1.0);
    assert_eq!(value(&r, "output.issued.government"), 0.0);
    assert_eq!(value(&r, "cleanup.examined"), 0.0);
    assert!(r.figure("certification.cancelled").is_none());
    let md = r.to_markdown();
    assert!(md.contains("（DEPT）"), "{md}");
    assert!(md.contains("印发规范性文件1件"), "{md}");
}

#[test]
fn markdown_reads_like_a_report_and_csv_has_one_row_per_figure() {
    let r = report(2019, None);
    let md = r.to_markdown();
    assert!(md.contains("取消证明事项1项"), "{md}");
    assert!(md.contains("全年共2件规范性文件送交合法性审核"), "{md}");
    let csv = r.to_csv();
    assert_eq!(csv.lines().count(), r.figures.len() + 1);
    assert!(csv.contains("\"certification.cancelled\""));
}

#[test]
fn later_decisions_do_not_rewrite_an_earlier_years_figures() {
    let mut retained = item(false);
    for (on, campaign) in [
        ("2019-09-30", None),
        ("2026-11-28", Some("later".to_owned())),
    ] {
        retained.apply(CertificationItemEvent::CertificationItemRetained {
            retained_on: d(on),
            commitment_allowed: true,
            reason: None,
            campaign_id: campaign,
        });
    }
    retained.apply(CertificationItemEvent::CommitmentEnabled {
        enabled_on: d("2019-10-01"),
        template_ref: None,
    });
    retained.apply(CertificationItemEvent::CommitmentDisabled {
        disabled_on: d("2020-01-05"),
        reason: "虚假承诺".into(),
    });
    let items = vec![("item".to_owned(), retained)];
    let at = |year| {
        annual_report(&ReportInput {
            year,
            issuing_body: None,
            body_group: None,
            documents: &[],
            items: &items,
            campaigns: &[],
            bodies: &[],
            warnings: &WarningSettings::default(),
            calendar: &crate::domain::calendar::WorkingCalendar::default(),
        })
    };
    assert_eq!(value(&at(2019), "certification.retained"), 1.0);
    assert_eq!(value(&at(2019), "certification.underCommitment"), 1.0);
    assert_eq!(value(&at(2020), "certification.underCommitment"), 0.0);
    assert_eq!(value(&at(2026), "certification.retained"), 1.0);
}

/// The rates state each count against its whole: both issued documents passed a review (one
/// LAWFUL, one MUST_REVISE answered), both were filed, one within 30 days of publication, and
/// only that one carries no warning at year end (the other was FILED_LATE); no filing outcome
/// asked for a correction. A report limited to departments sees only their document.
#[test]
fn the_rates_divide_by_the_documents_issued_and_name_their_numerators() {
    let r = report(2019, None);
    assert_eq!(value(&r, "rates.reviewed"), 1.0);
    assert_eq!(value(&r, "rates.filed"), 1.0);
    assert_eq!(value(&r, "rates.filedOnTime"), 0.5);
    assert_eq!(value(&r, "rates.conforming"), 0.5);
    assert_eq!(value(&r, "rates.corrected"), 0.0);
    let conforming = r.figure("rates.conforming").unwrap();
    assert_eq!(conforming.provenance.aggregate_ids, ["doc-a"]);
    assert_eq!(conforming.unit, "ratio");
    assert!(r.to_markdown().contains("及时报备率50.0%"));

    let documents = vec![(
        "doc-b".to_owned(),
        document(
            "DEPT",
            "南司发〔2019〕2号",
            ReviewOutcome::MustRevise,
            "2019-07-20",
        ),
    )];
    let bodies = vec![
        body("GOV", IssuingBodyKind::CountyGovernment, "南府发"),
        body("DEPT", IssuingBodyKind::CountyDepartment, "南司发"),
    ];
    let only = |group| {
        annual_report(&ReportInput {
            year: 2019,
            issuing_body: None,
            body_group: Some(group),
            documents: &documents,
            items: &[],
            campaigns: &[],
            bodies: &bodies,
            warnings: &WarningSettings::default(),
            calendar: &crate::domain::calendar::WorkingCalendar::default(),
        })
    };
    assert_eq!(value(&only("department"), "output.issued"), 1.0);
    assert_eq!(value(&only("government"), "output.issued"), 0.0);
    assert_eq!(
        value(&only("government"), "rates.filed"),
        0.0,
        "nothing to divide"
    );
}

/// Submissions count by document; a second submission of the same document (after its
/// materials were returned) counts as a resubmission, not as another document.
#[test]
fn a_resubmission_is_counted_apart_from_the_documents_submitted() {
    let mut events = vec![
        DocumentEvent::Drafted {
            id: "doc-r".into(),
            draft: Draft {
                body_code: "GOV".into(),
                title: "t".into(),
                class: DocumentClass::Government,
                is_trial: false,
                is_major_decision: false,
                summary: String::new(),
                drafted_on: d("2019-03-01"),
                drafting_unit: "GOV".into(),
                market_related: false,
            },
        },
        DocumentEvent::SubmittedForReview {
            submitted_on: d("2019-04-01"),
            materials: vec!["送审稿".into()],
        },
        DocumentEvent::MaterialsReturned(MaterialsReturn {
            returned_on: d("2019-04-03"),
            reason: "缺起草说明".into(),
        }),
    ];
    events.push(DocumentEvent::SubmittedForReview {
        submitted_on: d("2019-04-10"),
        materials: vec!["送审稿".into(), "起草说明".into()],
    });
    let documents = vec![("doc-r".to_owned(), fold(events))];
    let r = annual_report(&ReportInput {
        year: 2019,
        issuing_body: None,
        body_group: None,
        documents: &documents,
        items: &[],
        campaigns: &[],
        bodies: &[],
        warnings: &WarningSettings::default(),
        calendar: &crate::domain::calendar::WorkingCalendar::default(),
    });
    assert_eq!(value(&r, "reviews.submitted"), 1.0);
    assert_eq!(value(&r, "reviews.resubmitted"), 1.0);
}
