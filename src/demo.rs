//! The demo data set (`data/demo/nanchang-county-2019.json`), loaded through the real
//! commands — never SQL inserts — so every row of it is an event with an actor.
//!
//! Only an empty ledger is loaded, so running it twice duplicates nothing. Lifecycle dates
//! that the county's report does not give are derived from the issue date and are
//! illustrative; every document's summary says where its facts come from.

use chrono::{Days, NaiveDate};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;
use uuid::Uuid;

use crate::commands::{Command, CommandError, Ledger, RequestContext};
use crate::domain::certification_item::{BasisLevel, ItemRegistration, RiskArea};
use crate::domain::cleanup_campaign::{
    CampaignKind, CleanupScope, Decision, DecisionReview, Launch, Proposal, Publication,
    ResultApproval, SuperiorReport as CampaignReport,
};
use crate::domain::document::{
    AdvisorOpinion, Anchor, Deliberation, DeliberationOutcome, DocumentClass, Draft,
    FilingReviewOutcome, IssueResponse, MeetingType, ReviewOutcome,
};
use crate::domain::issuing_body::IssuingBodyListing;
use crate::domain::{
    Actor, CertificationItemCommand, CleanupCampaignCommand, DocumentCommand, DocumentNumber,
    IssuingBodyCommand, IssuingBodyKind, Role,
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
    certification_cleanup: Option<CertificationCleanup>,
    document_cleanup: Option<DocumentCleanup>,
}

/// The certification-item cleanup the report describes (notice of 2019-07-19, one item
/// cancelled, reported to the city government).
#[derive(Deserialize)]
struct CertificationCleanup {
    notice: Notice,
    report_to_superior: SuperiorReport,
    campaign: CampaignDates,
    items: Vec<ItemEntry>,
}

#[derive(Deserialize)]
struct Notice {
    title: String,
    issued_on: NaiveDate,
}

#[derive(Deserialize)]
struct SuperiorReport {
    title: String,
    to: String,
}

#[derive(Deserialize)]
struct CampaignDates {
    cut_off: NaiveDate,
    deadline: NaiveDate,
    result_number: String,
    published_on: NaiveDate,
    reported_on: NaiveDate,
    source: String,
}

#[derive(Deserialize)]
struct ItemEntry {
    name: String,
    matter: String,
    basis_level: BasisLevel,
    basis_citation: String,
    requesting_unit: String,
    issuing_unit: String,
    risk_area: Option<RiskArea>,
    decision: Decision,
    replacement_method: Option<String>,
    commitment_allowed: Option<bool>,
    commitment_reason: Option<String>,
    grounds: String,
    source: String,
    modelled_on: Option<String>,
}

/// An illustrative periodic cleanup of the county's documents at the end of 2019.
#[derive(Deserialize)]
struct DocumentCleanup {
    notice_number: String,
    title: String,
    organiser: String,
    launched_on: NaiveDate,
    cut_off: NaiveDate,
    deadline: NaiveDate,
    result_number: String,
    published_on: NaiveDate,
    decisions: Vec<DocumentDecision>,
    source: String,
}

#[derive(Deserialize)]
struct DocumentDecision {
    number: String,
    decision: Decision,
    grounds: String,
    revision_deadline: Option<NaiveDate>,
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
    /// 重大行政决策, as the record says; never read from the title.
    #[serde(default)]
    major_decision: bool,
    source: String,
    note: Option<String>,
    /// Where the 文号 comes from when the report does not give it.
    number_source: Option<String>,
    /// `internal`: an internal work document (工作制度, 工作要点, 工作方案), which is no
    /// normative document: it never enters the lifecycle or the report.
    scope: Option<String>,
}

/// What the loader did.
#[derive(Debug, Default)]
pub struct DemoSummary {
    pub bodies_listed: usize,
    pub ineligible_refused: usize,
    pub documents_issued: usize,
    pub documents_approved: usize,
    /// Internal work documents of the data set, left out.
    pub internal_left_out: usize,
    pub certification_items: usize,
    pub campaigns: usize,
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

/// The same actor, with the source of the facts in the event metadata.
fn sourced(role: Role, bodies: &[String], source: &str) -> RequestContext {
    let mut ctx = actor(role, bodies);
    ctx.source = Some(source.to_owned());
    ctx
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
                // The county's legal office (司法局) reviews every body's documents but the
                // market regulator's, which has its own legal unit (法制机构).
                review_body: Some(if b.code == "NCX-MARKET" {
                    "NCX-MARKET".into()
                } else {
                    "NCX-JUSTICE".into()
                }),
                filing_authorities: filing_authorities(b.kind),
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
    let mut issued = HashMap::new();
    for doc in &data.documents {
        if doc.scope.as_deref() == Some("internal") {
            summary.internal_left_out += 1;
            continue;
        }
        let kind = data
            .issuing_bodies
            .iter()
            .find(|b| b.code == doc.body)
            .map(|b| b.kind);
        let authorities = kind.map(filing_authorities).unwrap_or_default();
        let (id, number) = lifecycle(ledger, doc, &authorities).await?;
        match number {
            Some(n) => {
                issued.insert(n, id);
                summary.documents_issued += 1;
            }
            None => summary.documents_approved += 1,
        }
    }
    if let Some(c) = &data.certification_cleanup {
        summary.certification_items += certification_cleanup(ledger, c).await?;
        summary.campaigns += 1;
    }
    if let Some(c) = &data.document_cleanup {
        document_cleanup(ledger, c, &issued).await?;
        summary.campaigns += 1;
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

/// Takes one document through its lifecycle; returns its id and, when issued, its 文号.
/// 备案 follows the kind of body: the county government's documents go to the city
/// government and the county people's congress standing committee; a department's or a
/// township's to the county government.
fn filing_authorities(kind: IssuingBodyKind) -> Vec<String> {
    if kind.is_government() {
        vec!["南昌市人民政府".into(), "南昌县人大常委会".into()]
    } else {
        vec![COUNTY_GOVERNMENT.into()]
    }
}

/// The county government's name as listed: its legal office records the outcomes of what is
/// filed with it.
const COUNTY_GOVERNMENT: &str = "南昌县人民政府";

async fn lifecycle(
    ledger: &Ledger,
    doc: &DocumentEntry,
    authorities: &[String],
) -> Result<(Uuid, Option<String>), DemoError> {
    let id = Uuid::now_v7();
    let bodies = vec![doc.body.clone()];
    // The facts come from the report; dates of intermediate steps are illustrative.
    let source = format!("{}; intermediate dates illustrative", doc.source);
    let drafter = sourced(Role::Drafter, &bodies, &source);
    let legal = sourced(Role::LegalOffice, &["NCX-JUSTICE".to_owned()], &source);
    let advisor = sourced(Role::Advisor, &[], &source);
    let office = sourced(
        Role::GovernmentOffice,
        &[],
        &match &doc.number_source {
            Some(s) => format!("{source}; 文号 {s}"),
            None => source.clone(),
        },
    );
    let advised = doc.note.as_deref().is_some_and(|n| n.contains("advisors"));
    let issued = issue_date(doc);
    let day = |offset: i64| {
        if offset < 0 {
            issued - Days::new(offset.unsigned_abs())
        } else {
            issued + Days::new(offset as u64)
        }
    };
    let mut summary = format!(
        "来源 source: {}（南昌县2019年法治政府建设工作报告）；流程日期为演示用 (illustrative dates).",
        doc.source
    );
    if let Some(note) = &doc.note {
        summary.push_str(&format!(" Note: {note}."));
    }
    // Each authority records its own filing outcome; the county government's are recorded
    // by its legal office.
    let recorders: Vec<RequestContext> = authorities
        .iter()
        .map(|a| match a.as_str() {
            COUNTY_GOVERNMENT => legal.clone(),
            _ => sourced(Role::FilingAuthority, std::slice::from_ref(a), &source),
        })
        .collect();
    let mut steps: Vec<(&RequestContext, DocumentCommand)> = vec![(
        &drafter,
        DocumentCommand::Draft {
            id: id.to_string(),
            draft: Draft {
                body_code: doc.body.clone(),
                title: doc.title.clone(),
                class: DocumentClass::Government,
                is_trial: doc.trial,
                is_major_decision: doc.major_decision,
                summary,
                drafted_on: day(-90),
                drafting_unit: doc.body.clone(),
                market_related: false,
            },
            text: Some(illustrative_text(&doc.title, false)),
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
            text: Some(illustrative_text(&doc.title, false)),
        },
    ));
    steps.push((
        &legal,
        DocumentCommand::StartReview {
            started_on: day(-44),
            due_on: day(-25),
        },
    ));
    if doc.major_decision || advised {
        steps.push((
            &advisor,
            DocumentCommand::AddAdvisorOpinion(AdvisorOpinion {
                advisor_id: advisor.actor.id.clone(),
                advisor_name: "政府法律顾问 (illustrative)".into(),
                text: "经论证，建议明确适用范围。".into(),
                conclusion: Some("基本合法".into()),
                given_on: day(-40),
                anchor: Some(Anchor {
                    version: 2,
                    clause: "art-2".into(),
                    quote: Some("适用于".into()),
                }),
            }),
        ));
    }
    if advised {
        // The report: revised with the government's advisors. One itemised issue, adopted.
        steps.push((
            &legal,
            DocumentCommand::ConcludeReview {
                outcome: ReviewOutcome::MustRevise,
                issues: vec![crate::domain::document::IssueInput {
                    clause: Some("第二条".into()),
                    text: "按法律顾问意见明确适用范围。".into(),
                    anchor: Some(Anchor {
                        version: 2,
                        clause: "art-2".into(),
                        quote: Some("相关管理活动".into()),
                    }),
                }],
                opinion: "应当予以修改。(illustrative)".into(),
                concluded_on: day(-35),
            },
        ));
        steps.push((
            &drafter,
            DocumentCommand::SubmitRevision {
                submitted_on: day(-32),
                responses: vec![IssueResponse {
                    issue_number: 1,
                    adopted: true,
                    reason: None,
                    clause: Some("art-2".into()),
                }],
                text: Some(illustrative_text(&doc.title, true)),
            },
        ));
        steps.push((
            &legal,
            DocumentCommand::ConfirmRevisedText {
                to_version: None,
                accepted: vec!["art-2".into()],
                confirmed_on: day(-31),
            },
        ));
    } else {
        steps.push((
            &legal,
            DocumentCommand::ConcludeReview {
                outcome: ReviewOutcome::Lawful,
                issues: vec![],
                opinion: "经审核，未发现违反法律法规的内容。(illustrative)".into(),
                concluded_on: day(-30),
            },
        ));
    }
    steps.push((
        &office,
        DocumentCommand::RecordDeliberation(Deliberation {
            outcome: DeliberationOutcome::Approved,
            meeting_type: Some(MeetingType::ExecutiveMeeting),
            meeting: "县政府常务会议 (illustrative)".into(),
            held_on: day(-20),
            minutes_reference: None,
            dissent: None,
            text_version: None,
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
                text: None,
            },
        ));
        steps.push((
            &drafter,
            DocumentCommand::FileForRecord {
                filed_on: day(20),
                authorities: vec![],
            },
        ));
        for (authority, ctx) in authorities.iter().zip(&recorders) {
            steps.push((
                ctx,
                DocumentCommand::RecordFilingReview {
                    authority: authority.clone(),
                    outcome: FilingReviewOutcome::Accepted,
                    reviewed_on: day(40),
                    notes: None,
                    correction_due_on: None,
                },
            ));
        }
    }
    for (ctx, command) in steps {
        run(ledger, ctx, Command::Document { id, command }, &doc.title).await?;
    }
    Ok((id, number.and_then(Result::ok).map(|n| n.to_string())))
}

/// The certification-item cleanup of 2019: items listed, the campaign launched by the legal
/// office's notice, one decision per item, the result published and applied (one item
/// cancelled, as the county reported), reported to the city government, closed.
async fn certification_cleanup(
    ledger: &Ledger,
    c: &CertificationCleanup,
) -> Result<usize, DemoError> {
    let mut items = vec![];
    for item in &c.items {
        let id = Uuid::now_v7();
        let source = match &item.modelled_on {
            Some(m) => format!("{}; modelled on {m}", item.source),
            None => item.source.clone(),
        };
        let legal = sourced(Role::LegalOffice, &[], &source);
        let registration = ItemRegistration {
            name: item.name.clone(),
            matter: item.matter.clone(),
            basis_level: item.basis_level,
            basis_citation: item.basis_citation.clone(),
            requesting_unit: item.requesting_unit.clone(),
            issuing_unit: item.issuing_unit.clone(),
            service_guide: String::new(),
            risk_area: item.risk_area,
            registered_on: c.campaign.cut_off - Days::new(30),
        };
        let command = Command::CertificationItem {
            id,
            command: CertificationItemCommand::Register {
                id: id.to_string(),
                registration,
            },
        };
        run(ledger, &legal, command, &item.name).await?;
        items.push((id.to_string(), item));
    }
    let source = format!("report; {}", c.campaign.source);
    let legal = sourced(Role::LegalOffice, &[], &source);
    let campaign = Uuid::now_v7();
    let launch = Launch {
        notice_number: format!("南昌县司法局《{}》", c.notice.title),
        title: c.notice.title.clone(),
        kind: CampaignKind::Special,
        organiser: "南昌县司法局".into(),
        scope: CleanupScope {
            citing: None,
            body_codes: vec![],
            cut_off: c.campaign.cut_off,
            classes: vec![],
            documents: false,
            certification_items: true,
        },
        deadline: c.campaign.deadline,
        launched_on: c.notice.issued_on,
    };
    let mut steps = vec![CleanupCampaignCommand::Launch {
        id: campaign.to_string(),
        launch,
    }];
    for (id, item) in &items {
        steps.push(CleanupCampaignCommand::ProposeDecision(Proposal {
            entry_id: id.clone(),
            decision: item.decision,
            grounds: item.grounds.clone(),
            proposed_on: c.notice.issued_on + Days::new(20),
            revision_deadline: None,
            replacement_method: item.replacement_method.clone(),
            commitment_allowed: item.commitment_allowed,
            commitment_reason: item.commitment_reason.clone(),
        }));
        steps.push(CleanupCampaignCommand::ReviewDecision(DecisionReview {
            entry_id: id.clone(),
            accepted: true,
            comments: None,
            reviewed_on: c.notice.issued_on + Days::new(30),
        }));
    }
    steps.push(CleanupCampaignCommand::PublishResult(Publication {
        result_number: parse_number(&c.campaign.result_number)?,
        published_on: c.campaign.published_on,
    }));
    for command in steps {
        let command = Command::CleanupCampaign {
            id: campaign,
            command,
        };
        run(ledger, &legal, command, &c.notice.title).await?;
    }
    let report = CleanupCampaignCommand::ReportToSuperior(CampaignReport {
        reported_on: c.campaign.reported_on,
        to: c.report_to_superior.to.clone(),
        reference: Some(c.report_to_superior.title.clone()),
    });
    let closed_on = c.campaign.published_on + Days::new(30);
    apply_and_close(ledger, campaign, &legal, Some(report), closed_on).await?;
    Ok(items.len())
}

fn parse_number(n: &str) -> Result<DocumentNumber, DemoError> {
    DocumentNumber::parse(n).map_err(|e| DemoError::Command {
        what: n.to_owned(),
        source: CommandError::Rejected(e.into()),
    })
}

/// Runs the process manager to the end (as `publishCleanupResult` does), reports to the
/// superior government if given, and closes.
async fn apply_and_close(
    ledger: &Ledger,
    campaign: Uuid,
    ctx: &RequestContext,
    report: Option<CleanupCampaignCommand>,
    closed_on: NaiveDate,
) -> Result<(), DemoError> {
    crate::process::apply_cleanup(ledger, campaign, None)
        .await
        .map_err(|source| DemoError::Command {
            what: "applying the cleanup result".into(),
            source,
        })?;
    for command in report
        .into_iter()
        .chain([CleanupCampaignCommand::Close { closed_on }])
    {
        let command = Command::CleanupCampaign {
            id: campaign,
            command,
        };
        run(ledger, ctx, command, "reporting and closing the cleanup").await?;
    }
    Ok(())
}

/// The illustrative document cleanup: drafters propose for their own bodies' documents, the
/// legal office reviews, the government office publishes.
async fn document_cleanup(
    ledger: &Ledger,
    c: &DocumentCleanup,
    issued: &HashMap<String, Uuid>,
) -> Result<(), DemoError> {
    let legal = sourced(Role::LegalOffice, &[], &c.source);
    let drafter = sourced(
        Role::Drafter,
        &["NCX-GOV".into(), "NCX-GOV-OFFICE".into()],
        &c.source,
    );
    let office = sourced(Role::GovernmentOffice, &[], &c.source);
    let campaign = Uuid::now_v7();
    let launch = Launch {
        notice_number: c.notice_number.clone(),
        title: c.title.clone(),
        kind: CampaignKind::Periodic,
        organiser: c.organiser.clone(),
        scope: CleanupScope {
            citing: None,
            body_codes: vec![],
            cut_off: c.cut_off,
            classes: vec![],
            documents: true,
            certification_items: false,
        },
        deadline: c.deadline,
        launched_on: c.launched_on,
    };
    let mut steps = vec![(
        &legal,
        CleanupCampaignCommand::Launch {
            id: campaign.to_string(),
            launch,
        },
    )];
    for d in &c.decisions {
        let Some(id) = issued.get(&parse_number(&d.number)?.to_string()) else {
            return Err(DemoError::Command {
                what: d.number.clone(),
                source: CommandError::NotFound(format!("{} was not issued", d.number)),
            });
        };
        steps.push((
            &drafter,
            CleanupCampaignCommand::ProposeDecision(Proposal {
                entry_id: id.to_string(),
                decision: d.decision,
                grounds: d.grounds.clone(),
                proposed_on: c.launched_on + Days::new(14),
                revision_deadline: d.revision_deadline,
                replacement_method: None,
                commitment_allowed: None,
                commitment_reason: None,
            }),
        ));
        steps.push((
            &legal,
            CleanupCampaignCommand::ReviewDecision(DecisionReview {
                entry_id: id.to_string(),
                accepted: true,
                comments: None,
                reviewed_on: c.launched_on + Days::new(21),
            }),
        ));
    }
    // The result amends the government's documents: its executive meeting approves it first.
    steps.push((
        &office,
        CleanupCampaignCommand::ApproveResult(ResultApproval {
            approved_on: c.published_on - Days::new(5),
            meeting_type: MeetingType::ExecutiveMeeting,
            meeting: "县政府常务会议 (illustrative)".into(),
        }),
    ));
    steps.push((
        &office,
        CleanupCampaignCommand::PublishResult(Publication {
            result_number: parse_number(&c.result_number)?,
            published_on: c.published_on,
        }),
    ));
    for (ctx, command) in steps {
        let command = Command::CleanupCampaign {
            id: campaign,
            command,
        };
        run(ledger, ctx, command, &c.title).await?;
    }
    apply_and_close(
        ledger,
        campaign,
        &legal,
        None,
        c.published_on + Days::new(10),
    )
    .await
}

/// A short, plausible text for a demo document (marked illustrative: the county's real texts
/// are not part of the sample data). `revised` is the text after the review's one issue,
/// with the scope of 第二条 made explicit.
fn illustrative_text(title: &str, revised: bool) -> String {
    let kind = ["办法", "规定", "意见", "细则", "方案"]
        .into_iter()
        .find(|k| title.contains(k))
        .unwrap_or("规定");
    let scope = if revised {
        "本{kind}适用于南昌县行政区域内的相关管理活动，法律、法规另有规定的除外。"
    } else {
        "本{kind}适用于南昌县行政区域内的相关管理活动。"
    };
    format!(
        "{title}\n\
         （演示文本 illustrative text）\n\
         第一条　为了规范和加强相关管理工作，保障公民、法人和其他组织的合法权益，根据有关法律、法规规定，结合本县实际，制定本{kind}。\n\
         第二条　{scope}\n\
         第三条　县人民政府有关部门按照各自职责，做好相关工作。\n\
         第四条　有关单位应当依法履行下列职责：\n\
         （一）建立健全工作制度；\n\
         （二）加强监督检查；\n\
         （三）及时公开有关信息。\n\
         第五条　本{kind}自发布之日起施行。",
        scope = scope.replace("{kind}", kind)
    )
}
