//! The annual figures for the 法治政府建设情况报告, computed from folded
//! aggregate states. Pure: the caller loads the states; every figure carries the aggregates
//! and event types it counted, so an auditor can reproduce it from the audit trail.
//!
//! A year is legal time: an event counts in the year its own date falls in (submitted_on,
//! concluded_on, issued_on…), not the year it was recorded.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use std::collections::BTreeMap;

use crate::domain::calendar::WorkingCalendar;
use crate::domain::certification_item::{CertificationItem, ItemChangeKind};
use crate::domain::cleanup_campaign::{CleanupCampaign, Decision, EntryKind};
use crate::domain::document::{
    FilingReviewOutcome, NormativeDocument, ReviewOutcome, WarningSettings,
};
use crate::domain::issuing_body::{IssuingBody, IssuingBodyKind};

/// Where a figure comes from: the aggregates counted and the events that made them count.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Provenance {
    pub aggregate_type: &'static str,
    pub aggregate_ids: Vec<String>,
    pub event_types: Vec<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    /// Stable key, e.g. `reviews.lawful`.
    pub key: String,
    /// What it counts, in the report's own words.
    pub label: String,
    pub value: f64,
    pub unit: &'static str,
    pub provenance: Provenance,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnnualReport {
    pub year: i32,
    /// The issuing body the figures are limited to, if any. Certification items and
    /// body-list figures are county-wide and left out when a body is given.
    pub issuing_body: Option<String>,
    /// The kind of body the figures are limited to (`government`, `department`, `township`).
    pub body_group: Option<String>,
    pub figures: Vec<Figure>,
}

impl AnnualReport {
    pub fn figure(&self, key: &str) -> Option<&Figure> {
        self.figures.iter().find(|f| f.key == key)
    }
}

/// Everything the report reads.
pub struct ReportInput<'a> {
    pub year: i32,
    pub issuing_body: Option<&'a str>,
    /// Only documents of this kind of body: `government`, `department` or `township`.
    pub body_group: Option<&'a str>,
    pub documents: &'a [(String, NormativeDocument)],
    pub items: &'a [(String, CertificationItem)],
    pub campaigns: &'a [(String, CleanupCampaign)],
    pub bodies: &'a [(String, IssuingBody)],
    /// The warn-only rules' settings (filing days among them), for 及时报备率 and 规范率.
    pub warnings: &'a WarningSettings,
    /// The working-day calendar the warn-only rules count on.
    pub calendar: &'a WorkingCalendar,
}

/// Collects ids per figure while counting.
struct Counter {
    aggregate_type: &'static str,
    event_types: Vec<&'static str>,
    ids: Vec<String>,
    value: f64,
}

impl Counter {
    fn new(aggregate_type: &'static str, event_types: &[&'static str]) -> Self {
        Counter {
            aggregate_type,
            event_types: event_types.to_vec(),
            ids: vec![],
            value: 0.0,
        }
    }

    fn add(&mut self, id: &str, n: f64) {
        self.value += n;
        if !self.ids.iter().any(|i| i == id) {
            self.ids.push(id.to_owned());
        }
    }

    fn figure(self, key: &str, label: &str, unit: &'static str) -> Figure {
        Figure {
            key: key.to_owned(),
            label: label.to_owned(),
            value: self.value,
            unit,
            provenance: Provenance {
                aggregate_type: self.aggregate_type,
                aggregate_ids: self.ids,
                event_types: self.event_types,
            },
        }
    }
}

/// Government, department or township: the report's three kinds of issuing body.
pub fn body_group(kind: IssuingBodyKind) -> &'static str {
    use IssuingBodyKind as K;
    match kind {
        K::CountyGovernment | K::CountyGovernmentOffice => "government",
        K::TownshipGovernment | K::SubdistrictOffice => "township",
        _ => "department",
    }
}

fn median(mut v: Vec<i64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_unstable();
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2] as f64
    } else {
        (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0
    }
}

const DOC: &str = "NormativeDocument";
const ITEM: &str = "CertificationItem";
const CAMPAIGN: &str = "CleanupCampaign";

pub fn annual_report(input: &ReportInput<'_>) -> AnnualReport {
    let y = input.year;
    let in_year = |d: NaiveDate| d.year() == y;
    let kinds: BTreeMap<&str, IssuingBodyKind> = input
        .bodies
        .iter()
        .filter_map(|(code, b)| b.listing.as_ref().map(|l| (code.as_str(), l.kind)))
        .collect();
    let group_of = |body: &str| kinds.get(body).map(|k| body_group(*k));
    let docs: Vec<&(String, NormativeDocument)> = input
        .documents
        .iter()
        .filter(|(_, d)| {
            let body = d.draft.as_ref().map(|dr| dr.body_code.as_str());
            input.issuing_body.is_none_or(|b| body == Some(b))
                && input
                    .body_group
                    .is_none_or(|g| body.and_then(group_of) == Some(g))
        })
        .collect();
    let mut figures = vec![];

    // Legality review (合法性审核).
    let mut submitted = Counter::new(DOC, &["SubmittedForReview"]);
    let mut resubmitted = Counter::new(DOC, &["SubmittedForReview"]);
    let mut concluded = Counter::new(DOC, &["ReviewConcluded"]);
    let mut outcomes = [
        (
            ReviewOutcome::Lawful,
            Counter::new(DOC, &["ReviewConcluded"]),
        ),
        (
            ReviewOutcome::MustRevise,
            Counter::new(DOC, &["ReviewConcluded"]),
        ),
        (
            ReviewOutcome::Unlawful,
            Counter::new(DOC, &["ReviewConcluded"]),
        ),
    ];
    let mut returned = Counter::new(DOC, &["MaterialsReturned"]);
    let mut overdue = Counter::new(DOC, &["ReviewStarted", "ReviewConcluded"]);
    let mut overdue_days = Counter::new(DOC, &["ReviewStarted", "ReviewConcluded"]);
    let mut opinions = Counter::new(DOC, &["AdvisorOpinionAdded"]);
    let mut durations = Counter::new(DOC, &["ReviewStarted", "ReviewConcluded"]);
    let mut days = vec![];
    for (id, d) in &docs {
        // Submissions count by document; a document submitted again (after materials were
        // returned, or after an UNLAWFUL review) counts once more as a resubmission.
        let submissions = d.reviews.iter().filter(|r| in_year(r.submitted_on)).count();
        if submissions > 0 {
            submitted.add(id, 1.0);
        }
        let earlier = d.reviews.iter().any(|r| r.submitted_on.year() < y);
        let again = if earlier {
            submissions
        } else {
            submissions.saturating_sub(1)
        };
        if again > 0 {
            resubmitted.add(id, again as f64);
        }
        for r in &d.reviews {
            let n = r.returns.iter().filter(|x| in_year(x.returned_on)).count();
            if n > 0 {
                returned.add(id, n as f64);
            }
            let n = r.opinions.iter().filter(|o| in_year(o.given_on)).count();
            if n > 0 {
                opinions.add(id, n as f64);
            }
            for c in r.conclusions.iter().filter(|c| in_year(c.concluded_on)) {
                concluded.add(id, 1.0);
                for (outcome, counter) in outcomes.iter_mut() {
                    if *outcome == c.outcome {
                        counter.add(id, 1.0);
                    }
                }
            }
            // Duration: from the start of the review to its first conclusion.
            let first = r.conclusions.first().filter(|c| in_year(c.concluded_on));
            if let (Some(started), Some(first)) = (r.started_on, first) {
                days.push((first.concluded_on - started).num_days());
                durations.add(id, 0.0);
                if let Some(due) = r.due_on.filter(|due| first.concluded_on > *due) {
                    overdue.add(id, 1.0);
                    overdue_days.add(id, (first.concluded_on - due).num_days() as f64);
                }
            }
        }
    }
    durations.value = median(days);
    figures.push(submitted.figure(
        "reviews.submitted",
        "送交合法性审核的文件 documents submitted for legality review",
        "documents",
    ));
    figures.push(resubmitted.figure(
        "reviews.resubmitted",
        "再次送审 submissions of a document already submitted",
        "submissions",
    ));
    figures.push(concluded.figure(
        "reviews.concluded",
        "审核完成 reviews concluded",
        "conclusions",
    ));
    let [(_, lawful), (_, revise), (_, unlawful)] = outcomes;
    figures.push(lawful.figure("reviews.lawful", "合法 lawful", "conclusions"));
    figures.push(revise.figure("reviews.mustRevise", "应当修改 must revise", "conclusions"));
    figures.push(unlawful.figure("reviews.unlawful", "不合法 unlawful", "conclusions"));
    figures.push(returned.figure(
        "reviews.returned",
        "退回补正材料 returned for materials",
        "returns",
    ));
    figures.push(durations.figure(
        "reviews.medianDays",
        "审核用时中位数 median review duration (calendar days, start to first conclusion)",
        "days",
    ));
    figures.push(overdue.figure(
        "reviews.overdue",
        "超期审核 reviews concluded after their due date",
        "reviews",
    ));
    figures.push(overdue_days.figure(
        "reviews.overdueDays",
        "超期天数合计 days past the due date, summed over overdue reviews",
        "days",
    ));
    figures.push(opinions.figure(
        "reviews.advisorOpinions",
        "法律顾问意见 legal advisors' opinions",
        "opinions",
    ));

    // Output: documents issued, by kind of issuing body.
    let mut issued = Counter::new(DOC, &["Issued", "DocumentImported"]);
    let mut by_group: BTreeMap<&str, Counter> = ["government", "department", "township"]
        .into_iter()
        .map(|g| (g, Counter::new(DOC, &["Issued", "DocumentImported"])))
        .collect();
    let mut consulted = Counter::new(DOC, &["Issued", "ConsultationOpened"]);
    for (id, d) in &docs {
        let (Some(i), Some(draft)) = (&d.issuance, &d.draft) else {
            continue;
        };
        if !in_year(i.issued_on) {
            continue;
        }
        issued.add(id, 1.0);
        if let Some(c) = kinds
            .get(draft.body_code.as_str())
            .and_then(|k| by_group.get_mut(body_group(*k)))
        {
            c.add(id, 1.0);
        }
        if !d.consultations.is_empty() {
            consulted.add(id, 1.0);
        }
    }
    figures.push(issued.figure(
        "output.issued",
        "印发规范性文件 documents issued",
        "documents",
    ));
    for (group, label) in [
        (
            "government",
            "县政府及其办公室 by the government and its office",
        ),
        ("department", "县政府部门 by departments"),
        ("township", "乡镇（街道） by townships"),
    ] {
        if let Some(c) = by_group.remove(group) {
            figures.push(c.figure(&format!("output.issued.{group}"), label, "documents"));
        }
    }
    figures.push(consulted.figure(
        "output.withConsultation",
        "公开征求意见的 issued after public consultation",
        "documents",
    ));

    // Filing (备案).
    let mut filed = Counter::new(DOC, &["FiledForRecord"]);
    let mut on_time = Counter::new(DOC, &["Issued", "FiledForRecord"]);
    let mut accepted = Counter::new(DOC, &["FilingReviewed"]);
    let mut corrected = Counter::new(DOC, &["FilingReviewed"]);
    for (id, d) in &docs {
        let published = d.issuance.as_ref().map(|i| i.published_on);
        for (i, f) in d.filings.iter().enumerate() {
            // A filing with two authorities on one day is one act of filing: counted once.
            let new_act = !d.filings[..i].iter().any(|e| e.filed_on == f.filed_on);
            // Imported documents carry no filing authorities and no on-time judgement.
            if new_act && in_year(f.filed_on) && d.imported.is_none() {
                filed.add(id, 1.0);
                if published.is_some_and(|p| {
                    (f.filed_on - p).num_days() <= input.warnings.filing_days as i64
                }) {
                    on_time.add(id, 1.0);
                }
            }
            if f.reviewed_on.is_some_and(in_year) {
                // Each authority's outcome counts: 纠错 is any outcome but 准予备案.
                match f.outcome {
                    Some(FilingReviewOutcome::Accepted) => accepted.add(id, 1.0),
                    Some(_) => corrected.add(id, 1.0),
                    None => {}
                }
            }
        }
    }
    figures.push(filed.figure(
        "filing.filed",
        "报送备案 documents filed for record",
        "filings",
    ));
    figures.push(on_time.figure(
        "filing.onTime",
        "按时报备 filed within the deadline",
        "filings",
    ));
    let outcomes = accepted.value + corrected.value;
    let corrected_rate = rate(
        corrected.value,
        outcomes,
        Counter {
            ids: corrected.ids.clone(),
            ..Counter::new(DOC, &["FilingReviewed"])
        },
    );
    figures.push(accepted.figure("filing.accepted", "准予备案 accepted", "filings"));
    figures.push(corrected.figure(
        "filing.corrected",
        "纠错 an outcome other than 准予备案 (correction or materials requested, refused, revoked)",
        "filings",
    ));
    figures.extend(rates(input, &docs, corrected_rate));

    // Cleanup (清理): documents examined in campaigns whose result was published this year.
    let doc_ids: Vec<&str> = docs.iter().map(|(id, _)| id.as_str()).collect();
    let mut examined = Counter::new(CAMPAIGN, &["InventoryCompiled", "ResultPublished"]);
    let mut decided: Vec<(Decision, Counter)> = [
        Decision::Continue,
        Decision::Amend,
        Decision::Repeal,
        Decision::DeclareInvalid,
    ]
    .into_iter()
    .map(|d| {
        (
            d,
            Counter::new(CAMPAIGN, &["DecisionReviewed", "ResultPublished"]),
        )
    })
    .collect();
    for (cid, c) in input.campaigns {
        if !c
            .publication
            .as_ref()
            .is_some_and(|p| in_year(p.published_on))
        {
            continue;
        }
        for e in c.entries.iter().filter(|e| {
            e.entry.kind == EntryKind::Document && doc_ids.contains(&e.entry.id.as_str())
        }) {
            examined.add(cid, 1.0);
            if let Some(p) = e.final_proposal() {
                for (decision, counter) in decided.iter_mut() {
                    if *decision == p.decision {
                        counter.add(cid, 1.0);
                    }
                }
            }
        }
    }
    figures.push(examined.figure(
        "cleanup.examined",
        "清理文件 documents examined",
        "documents",
    ));
    for ((_, counter), (key, label)) in decided.into_iter().zip([
        ("continue", "继续有效 continue in force"),
        ("amend", "修改 to be amended"),
        ("repeal", "废止 repealed"),
        ("declareInvalid", "宣布失效 declared invalid"),
    ]) {
        figures.push(counter.figure(&format!("cleanup.{key}"), label, "documents"));
    }

    // Certification items (证明事项): county-wide, so only without a body filter.
    if input.issuing_body.is_none() {
        let year_end = NaiveDate::from_ymd_opt(y, 12, 31).unwrap_or(NaiveDate::MAX);
        let mut registered = Counter::new(ITEM, &["CertificationItemRegistered"]);
        let mut retained = Counter::new(ITEM, &["CertificationItemRetained"]);
        let mut cancelled = Counter::new(ITEM, &["CertificationItemCancelled"]);
        let mut commitment =
            Counter::new(ITEM, &["CommitmentEnabled", "CertificationItemRetained"]);
        for (id, item) in input.items {
            if item
                .registration
                .as_ref()
                .is_some_and(|r| in_year(r.registered_on))
            {
                registered.add(id, 1.0);
            }
            // An item retained and later cancelled in the same year counts as cancelled.
            if item.changed_in(y, ItemChangeKind::Cancelled) {
                cancelled.add(id, 1.0);
            } else if item.changed_in(y, ItemChangeKind::Retained) {
                retained.add(id, 1.0);
            }
            if item.commitment_on(year_end) {
                commitment.add(id, 1.0);
            }
        }
        figures.push(registered.figure(
            "certification.registered",
            "登记证明事项 items registered",
            "items",
        ));
        figures.push(retained.figure("certification.retained", "保留 retained", "items"));
        figures.push(cancelled.figure(
            "certification.cancelled",
            "取消证明事项 cancelled",
            "items",
        ));
        figures.push(commitment.figure(
            "certification.underCommitment",
            "实行告知承诺 under written commitment at year end",
            "items",
        ));

        // Issuing bodies on the list at the end of the year.
        let end = year_end;
        let mut listed = Counter::new("IssuingBody", &["IssuingBodyListed", "IssuingBodyDelisted"]);
        for (code, b) in input.bodies {
            if b.is_listed_on(end) {
                listed.add(code, 1.0);
            }
        }
        figures.push(listed.figure(
            "bodies.listed",
            "制定主体清单内主体 issuing bodies on the list at year end",
            "bodies",
        ));
    }

    // Validity: documents whose validity ends next year, as recorded.
    let mut expiring = Counter::new(DOC, &["Issued", "Republished", "DocumentImported"]);
    for (id, d) in &docs {
        let Some(i) = &d.issuance else { continue };
        let ended_before = d.ending.as_ref().is_some_and(|e| e.on.year() <= y);
        if i.valid_until.year() == y + 1 && !ended_before {
            expiring.add(id, 1.0);
        }
    }
    figures.push(expiring.figure(
        "validity.expiringNextYear",
        "下一年度有效期届满的文件 documents expiring next year",
        "documents",
    ));

    AnnualReport {
        year: y,
        issuing_body: input.issuing_body.map(str::to_owned),
        body_group: input.body_group.map(str::to_owned),
        figures,
    }
}

/// A rate's counter: the numerator's documents as provenance, the value numerator ÷ total
/// (0 when there is nothing to divide).
fn rate(numerator: f64, total: f64, mut counter: Counter) -> Counter {
    counter.value = if total > 0.0 { numerator / total } else { 0.0 };
    counter
}

/// The rates (比率) a report states beside its counts, over the documents issued this year
/// through the ledger (documents imported from a catalogue have no review or filing on
/// record): 审核率, 报备率, 及时报备率, 规范率; and 纠错率 over the filing outcomes of the year.
/// Each rate's provenance is its numerator's documents.
fn rates(
    input: &ReportInput<'_>,
    docs: &[&(String, NormativeDocument)],
    corrected: Counter,
) -> Vec<Figure> {
    let y = input.year;
    let year_end = NaiveDate::from_ymd_opt(y, 12, 31).unwrap_or(NaiveDate::MAX);
    let issued: Vec<_> = docs
        .iter()
        .filter(|(_, d)| {
            d.imported.is_none() && d.issuance.as_ref().is_some_and(|i| i.issued_on.year() == y)
        })
        .collect();
    let total = issued.len() as f64;
    let mut reviewed = Counter::new(DOC, &["ReviewConcluded", "Issued"]);
    let mut filed = Counter::new(DOC, &["FiledForRecord", "Issued"]);
    let mut on_time = Counter::new(DOC, &["FiledForRecord", "Issued"]);
    let mut conforming = Counter::new(DOC, &["Issued"]);
    for (id, d) in issued {
        // A review that allowed deliberation: LAWFUL, or MUST_REVISE (its issues answered
        // before the deliberation, which the ledger enforces).
        let passed = d.reviews.iter().any(|r| {
            r.conclusions
                .iter()
                .any(|c| matches!(c.outcome, ReviewOutcome::Lawful | ReviewOutcome::MustRevise))
        });
        if passed {
            reviewed.add(id, 1.0);
        }
        let published = d.issuance.as_ref().map(|i| i.published_on);
        if let Some(first) = d.filings.first() {
            filed.add(id, 1.0);
            if published.is_some_and(|p| {
                (first.filed_on - p).num_days() <= input.warnings.filing_days as i64
            }) {
                on_time.add(id, 1.0);
            }
        }
        // As the year closed: a warning settled later (a late filing) still counts.
        if d.warnings(year_end, input.calendar, input.warnings)
            .is_empty()
        {
            conforming.add(id, 1.0);
        }
    }
    let share = |c: Counter| {
        let n = c.value;
        rate(n, total, c)
    };
    vec![
        share(reviewed).figure(
            "rates.reviewed",
            "审核率 issued documents that passed a legality review ÷ documents issued",
            "ratio",
        ),
        share(filed).figure(
            "rates.filed",
            "报备率 issued documents filed for record ÷ documents issued",
            "ratio",
        ),
        share(on_time).figure(
            "rates.filedOnTime",
            "及时报备率 issued documents filed within the deadline ÷ documents issued",
            "ratio",
        ),
        share(conforming).figure(
            "rates.conforming",
            "规范率 issued documents with no warning at year end ÷ documents issued",
            "ratio",
        ),
        corrected.figure(
            "rates.corrected",
            "纠错率 filing outcomes other than 准予备案 ÷ filing outcomes",
            "ratio",
        ),
    ]
}

impl AnnualReport {
    /// The figures paragraph of a government report, in Markdown.
    pub fn to_markdown(&self) -> String {
        let v = |k: &str| self.figure(k).map_or(0.0, |f| f.value);
        let n = |k: &str| format!("{}", v(k) as i64);
        let scope = match (self.issuing_body.as_deref(), self.body_group.as_deref()) {
            (Some(b), _) => format!("（{b}）"),
            (None, Some(g)) => format!("（{g}）"),
            (None, None) => String::new(),
        };
        let mut out = format!("# {}年度行政规范性文件工作情况{scope}\n\n", self.year);
        out.push_str(&format!(
            "全年共{}件规范性文件送交合法性审核（再次送审{}次），审核完成{}件，其中合法{}件、应当修改{}件、\
             不合法{}件，退回补正材料{}次；审核用时中位数{}日，超期{}件（合计{}日）；法律顾问出具意见{}条。\n\n",
            n("reviews.submitted"),
            n("reviews.resubmitted"),
            n("reviews.concluded"),
            n("reviews.lawful"),
            n("reviews.mustRevise"),
            n("reviews.unlawful"),
            n("reviews.returned"),
            v("reviews.medianDays"),
            n("reviews.overdue"),
            n("reviews.overdueDays"),
            n("reviews.advisorOpinions"),
        ));
        out.push_str(&format!(
            "印发规范性文件{}件（县政府及其办公室{}件、部门{}件、乡镇{}件），其中公开征求意见{}件。\
             报送备案{}件，按时报备{}件；准予备案{}件，纠错{}件。\n\n",
            n("output.issued"),
            n("output.issued.government"),
            n("output.issued.department"),
            n("output.issued.township"),
            n("output.withConsultation"),
            n("filing.filed"),
            n("filing.onTime"),
            n("filing.accepted"),
            n("filing.corrected"),
        ));
        let pct = |k: &str| format!("{:.1}%", v(k) * 100.0);
        out.push_str(&format!(
            "审核率{}，报备率{}，及时报备率{}，规范率{}，纠错率{}。\n\n",
            pct("rates.reviewed"),
            pct("rates.filed"),
            pct("rates.filedOnTime"),
            pct("rates.conforming"),
            pct("rates.corrected"),
        ));
        out.push_str(&format!(
            "清理规范性文件{}件，继续有效{}件、修改{}件、废止{}件、宣布失效{}件。",
            n("cleanup.examined"),
            n("cleanup.continue"),
            n("cleanup.amend"),
            n("cleanup.repeal"),
            n("cleanup.declareInvalid"),
        ));
        if self.figure("certification.cancelled").is_some() {
            out.push_str(&format!(
                "登记证明事项{}项，保留{}项，取消证明事项{}项，实行告知承诺{}项。\
                 年末制定主体清单内主体{}个。",
                n("certification.registered"),
                n("certification.retained"),
                n("certification.cancelled"),
                n("certification.underCommitment"),
                n("bodies.listed"),
            ));
        }
        out.push_str(&format!(
            "下一年度有效期届满的文件{}件。\n\n",
            n("validity.expiringNextYear")
        ));
        out.push_str("| 指标 figure | 数值 value | 来源 provenance |\n|---|---|---|\n");
        for f in &self.figures {
            out.push_str(&format!(
                "| {} (`{}`) | {} | {} {} × {} |\n",
                f.label,
                f.key,
                f.value,
                f.provenance.aggregate_ids.len(),
                f.provenance.aggregate_type,
                f.provenance.event_types.join("/"),
            ));
        }
        out
    }

    /// One row per figure: key, label, value, unit, aggregate type, ids (space-separated).
    pub fn to_csv(&self) -> String {
        let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        let mut out =
            String::from("key,label,value,unit,aggregate_type,event_types,aggregate_ids\n");
        for f in &self.figures {
            out.push_str(&format!(
                "{},{},{},{},{},{},{}\n",
                q(&f.key),
                q(&f.label),
                f.value,
                f.unit,
                f.provenance.aggregate_type,
                q(&f.provenance.event_types.join(" ")),
                q(&f.provenance.aggregate_ids.join(" ")),
            ));
        }
        out
    }
}

#[cfg(test)]
#[path = "report_tests.rs"]
mod tests;
