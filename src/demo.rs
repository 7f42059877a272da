//! The demo data set (`data/demo/nanchang-county-2019.json`), loaded through the real
//! commands — never SQL inserts — so every row of it is an event with an actor.
//!
//! Only an empty ledger is loaded, so running it twice duplicates nothing. Lifecycle dates
//! that the county's report does not give are derived from the issue date and are
//! illustrative; every document's summary says where its facts come from.

use chrono::{Days, NaiveDate};
use serde::Deserialize;
use std::path::Path;
use uuid::Uuid;

use crate::commands::{Command, CommandError, Ledger, RequestContext};
use crate::domain::document::{
    AdvisorOpinion, Deliberation, DeliberationOutcome, DocumentClass, Draft, FilingReviewOutcome,
    ReviewOutcome,
};
use crate::domain::issuing_body::IssuingBodyListing;
use crate::domain::{
    Actor, DocumentCommand, DocumentNumber, IssuingBodyCommand, IssuingBodyKind, Role,
};
use crate::store::event_log;

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("cannot read the demo data set: {0}")]
    Read(#[from] std::io::Error),
    #[error("the demo data set is malformed: {0}")]
    Parse(#[from] serde_json::Error),
    #[error("loading {what} failed: {source}")]
    Command { what: String, source: CommandError },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

#[derive(Deserialize)]
struct DataSet {
    issuing_bodies: Vec<BodyEntry>,
    #[serde(default)]
    never_listable: Vec<IneligibleEntry>,
    documents: Vec<DocumentEntry>,
}

#[derive(Deserialize)]
struct BodyEntry {
    code: String,
    name: String,
    kind: IssuingBodyKind,
    agency_codes: Vec<String>,
    source: String,
}

#[derive(Deserialize)]
struct IneligibleEntry {
    name: String,
    kind: IssuingBodyKind,
}

#[derive(Deserialize)]
struct DocumentEntry {
    title: String,
    number: Option<String>,
    body: String,
    issued_in: Option<String>,
    issued_on: Option<NaiveDate>,
    #[serde(default)]
    trial: bool,
    source: String,
    note: Option<String>,
}

/// What the loader did.
#[derive(Debug, Default)]
pub struct DemoSummary {
    pub bodies_listed: usize,
    pub ineligible_refused: usize,
    pub documents_issued: usize,
    pub documents_approved: usize,
}

/// The date bodies are taken as listed from (illustrative: the report gives the list's
/// publication in 2019-09, but several documents predate it, the oldest drafted in 2014).
const LISTED_FROM: &str = "2014-01-01";

fn actor(role: Role, bodies: &[String]) -> RequestContext {
    RequestContext::new(
        Actor {
            id: format!("demo-loader-{}", role.as_str().to_lowercase()),
            name: "demo loader".into(),
            role,
            bodies: bodies.to_vec(),
        },
        Some("demo-load".into()),
    )
}

/// Loads the data set if the ledger is empty; `None` when it was not empty.
pub async fn load_if_empty(ledger: &Ledger, path: &Path) -> Result<Option<DemoSummary>, DemoError> {
    if event_log::count(ledger.pool()).await? > 0 {
        return Ok(None);
    }
    let data: DataSet = serde_json::from_slice(&std::fs::read(path)?)?;
    let mut summary = DemoSummary::default();
    let legal = actor(Role::LegalOffice, &[]);
    let listed_from: NaiveDate = LISTED_FROM.parse().expect("constant date");
    for b in &data.issuing_bodies {
        let command = Command::IssuingBody {
            code: b.code.clone(),
            command: IssuingBodyCommand::List(IssuingBodyListing {
                code: b.code.clone(),
                name: b.name.clone(),
                kind: b.kind,
                agency_codes: b.agency_codes.clone(),
                parent: (b.code != "NCX-GOV").then(|| "NCX-GOV".to_owned()),
                review_body: Some("NCX-JUSTICE".into()),
                filing_authorities: vec!["南昌市人民政府".into(), "南昌县人大常委会".into()],
                listed_from,
                listing_document: Some(format!(
                    "南昌县县级行政规范性文件制定主体清单 (source: {})",
                    b.source
                )),
            }),
        };
        run(ledger, &legal, command, &b.code).await?;
        summary.bodies_listed += 1;
    }
    for (i, b) in data.never_listable.iter().enumerate() {
        // The rule refuses these; the demo shows it and writes nothing.
        let command = Command::IssuingBody {
            code: format!("NCX-INELIGIBLE-{i}"),
            command: IssuingBodyCommand::List(IssuingBodyListing {
                code: format!("NCX-INELIGIBLE-{i}"),
                name: b.name.clone(),
                kind: b.kind,
                agency_codes: vec!["南普法发".into()],
                parent: None,
                review_body: None,
                filing_authorities: vec![],
                listed_from,
                listing_document: None,
            }),
        };
        if let Err(CommandError::Rejected(_)) = ledger.execute(&legal, command).await {
            summary.ineligible_refused += 1;
        }
    }
    for doc in &data.documents {
        if lifecycle(ledger, doc).await? {
            summary.documents_issued += 1;
        } else {
            summary.documents_approved += 1;
        }
    }
    Ok(Some(summary))
}

async fn run(
    ledger: &Ledger,
    ctx: &RequestContext,
    command: Command,
    what: &str,
) -> Result<(), DemoError> {
    ledger
        .execute(ctx, command)
        .await
        .map(|_| ())
        .map_err(|source| DemoError::Command {
            what: what.to_owned(),
            source,
        })
}

/// The issue date the report gives (a month or a year is taken mid-period).
fn issue_date(doc: &DocumentEntry) -> NaiveDate {
    let fallback = NaiveDate::from_ymd_opt(2019, 10, 15).expect("valid");
    if let Some(d) = doc.issued_on {
        return d;
    }
    match doc.issued_in.as_deref() {
        Some(s) if s.len() == 7 => format!("{s}-15").parse().unwrap_or(fallback),
        Some(s) if s.len() == 4 => format!("{s}-06-15").parse().unwrap_or(fallback),
        _ => fallback,
    }
}

/// Takes one document through its lifecycle; true when it was issued (it has a 文号).
async fn lifecycle(ledger: &Ledger, doc: &DocumentEntry) -> Result<bool, DemoError> {
    let id = Uuid::now_v7();
    let bodies = vec![doc.body.clone()];
    let drafter = actor(Role::Drafter, &bodies);
    let legal = actor(Role::LegalOffice, &[]);
    let advisor = actor(Role::Advisor, &[]);
    let office = actor(Role::GovernmentOffice, &[]);
    let issued = issue_date(doc);
    let day = |offset: i64| {
        if offset < 0 {
            issued - Days::new(offset.unsigned_abs())
        } else {
            issued + Days::new(offset as u64)
        }
    };
    let major = doc.title.contains("重大");
    let mut summary = format!(
        "来源 source: {}（南昌县2019年法治政府建设工作报告）；流程日期为演示用 (illustrative dates).",
        doc.source
    );
    if let Some(note) = &doc.note {
        summary.push_str(&format!(" Note: {note}."));
    }
    let mut steps: Vec<(&RequestContext, DocumentCommand)> = vec![(
        &drafter,
        DocumentCommand::Draft {
            id: id.to_string(),
            draft: Draft {
                body_code: doc.body.clone(),
                title: doc.title.clone(),
                class: DocumentClass::Government,
                is_trial: doc.trial,
                is_major_decision: major,
                summary,
                drafted_on: day(-90),
                drafting_unit: doc.body.clone(),
                market_related: false,
            },
        },
    )];
    if doc
        .note
        .as_deref()
        .is_some_and(|n| n.contains("public comment"))
    {
        steps.push((
            &drafter,
            DocumentCommand::OpenConsultation {
                opened_on: day(-80),
                closes_on: day(-50),
                channel: "南昌县人民政府门户网站".into(),
            },
        ));
        steps.push((
            &drafter,
            DocumentCommand::CloseConsultation {
                closed_on: day(-50),
                comments_received: 0,
                adoption_summary: "演示数据 (illustrative)".into(),
            },
        ));
    }
    steps.push((
        &drafter,
        DocumentCommand::SubmitForReview {
            submitted_on: day(-45),
            materials: vec!["送审稿".into(), "起草说明".into(), "制定依据".into()],
        },
    ));
    steps.push((
        &legal,
        DocumentCommand::StartReview {
            started_on: day(-44),
            due_on: day(-25),
        },
    ));
    if major || doc.note.as_deref().is_some_and(|n| n.contains("advisors")) {
        steps.push((
            &advisor,
            DocumentCommand::AddAdvisorOpinion(AdvisorOpinion {
                advisor_id: advisor.actor.id.clone(),
                advisor_name: "政府法律顾问 (illustrative)".into(),
                text: "经论证，建议明确适用范围。".into(),
                conclusion: Some("基本合法".into()),
                given_on: day(-40),
            }),
        ));
    }
    steps.push((
        &legal,
        DocumentCommand::ConcludeReview {
            outcome: ReviewOutcome::Lawful,
            issues: vec![],
            opinion: "经审核，未发现违反法律法规的内容。(illustrative)".into(),
            concluded_on: day(-30),
        },
    ));
    steps.push((
        &office,
        DocumentCommand::RecordDeliberation(Deliberation {
            outcome: DeliberationOutcome::Approved,
            meeting: "县政府常务会议 (illustrative)".into(),
            held_on: day(-20),
            minutes_reference: None,
            dissent: None,
        }),
    ));
    let number = doc.number.as_deref().map(DocumentNumber::parse);
    if let Some(Ok(number)) = number.clone() {
        steps.push((
            &office,
            DocumentCommand::Issue {
                number,
                registration_number: None,
                signer: "县长 (illustrative)".into(),
                issued_on: issued,
                published_on: day(3),
                effective_on: day(33),
                valid_until: None,
                validity_override_reason: None,
            },
        ));
        steps.push((
            &drafter,
            DocumentCommand::FileForRecord {
                filed_on: day(20),
                authorities: vec!["南昌市人民政府".into(), "南昌县人大常委会".into()],
            },
        ));
        steps.push((
            &legal,
            DocumentCommand::RecordFilingReview {
                outcome: FilingReviewOutcome::Accepted,
                reviewed_on: day(40),
                notes: None,
            },
        ));
    }
    for (ctx, command) in steps {
        run(ledger, ctx, Command::Document { id, command }, &doc.title).await?;
    }
    Ok(matches!(number, Some(Ok(_))))
}
