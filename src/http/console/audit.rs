//! The auditor's pages: the annual report (法治政府建设情况报告's figures) with a chart per
//! unit, where every figure opens the events it was computed from; and "verify integrity",
//! the hash chain, the digest and the last signed checkpoint checked on demand.

use axum::extract::{Query, State};
use axum::response::Response;
use maud::{Markup, html};
use plotters::prelude::*;
use serde::Deserialize;
use serde_json::{Value, json};

use super::api::{self, Failure, list, nodes, text};
use super::layout::{self, Lang};
use super::session::{Viewer, encode};
use crate::http::AppState;

const REPORT: &str = "query Report($year: Int!) {
  annualReport(year: $year) {
    year figures { key label value unit provenance { aggregateType aggregateIds eventTypes } }
  }
}";

const EVENTS: &str = "query Events($filter: AuditTrailFilter) {
  auditTrail(filter: $filter, first: 100) {
    nodes { position aggregateType aggregateId eventType recordedAt actorName role summary }
  }
}";

const VERIFY: &str = "query Verify {
  verifyIntegrity {
    intact eventsChecked streamsChecked firstBrokenLink { position }
    checkpointsChecked latestCheckpointAt checkpointSignerTrusted checkpointProblem
    currentDigest currentLastPosition
  }
  projectionStatus { name lagEvents lastError }
}";

#[derive(Deserialize)]
pub struct ReportQuery {
    #[serde(default)]
    year: Option<i32>,
    #[serde(default)]
    key: String,
}

fn this_year() -> i32 {
    use chrono::Datelike;
    crate::graphql::today().year()
}

async fn figures(state: &AppState, viewer: &Viewer, year: i32) -> Result<Vec<Value>, Failure> {
    let data = api::run(
        state,
        Some(&viewer.session.actor),
        REPORT,
        json!({"year": year}),
    )
    .await?;
    Ok(data
        .pointer("/annualReport/figures")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default())
}

/// The units in the order they first appear (each gets its chart).
fn units(figures: &[Value]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for f in figures {
        let u = text(f, "unit").to_owned();
        if !out.contains(&u) {
            out.push(u);
        }
    }
    out
}

/// `GET /console/report?year=`.
pub async fn report(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ReportQuery>,
) -> Response {
    let lang = viewer.lang;
    let t = |zh, en| lang.t(zh, en);
    let year = q.year.unwrap_or_else(this_year);
    let figures = match figures(&state, &viewer, year).await {
        Ok(f) => f,
        Err(f) => return layout::failure_page(&viewer, &f),
    };
    let body = html! {
        form.filters method="get" action="/console/report" {
            label for="year" { (t("年度", "Year")) }
            input #year name="year" value=(year) inputmode="numeric" size="6";
            button type="submit" { (t("查看", "Show")) }
        }
        p { (t("点击任一数字，查看它所依据的事件。", "Click any figure to see the events it was computed from.")) }
        @for unit in units(&figures) {
            section.chart {
                h2 { (unit) }
                img src=(chart(lang, &figures, &unit)) alt=(format!("{} {}", t("图表：", "Chart: "), unit));
                table {
                    tbody { @for f in figures.iter().filter(|f| text(f, "unit") == unit) { tr {
                        td { (text(f, "label")) }
                        td.num { a href=(format!("/console/report/figure?year={year}&key={}", encode(text(f, "key")))) {
                            (number(&f["value"])) } }
                    } } }
                }
            }
        }
    };
    layout::page(
        &viewer,
        &format!("{year} {}", t("年度报告", "annual report")),
        body,
    )
}

fn number(v: &Value) -> String {
    match v.as_f64() {
        Some(x) if x.fract() == 0.0 => format!("{x:.0}"),
        Some(x) => format!("{x:.2}"),
        None => "—".to_owned(),
    }
}

/// The figures of one unit as horizontal bars (drawn by plotters), inline in the page as a
/// `data:` image: computed from the page's own figures, so a report costs one computation
/// however many charts it has, and an SVG in `<img>` runs nothing. If the chart cannot be
/// drawn the image is empty and the table beside it still has every figure.
fn chart(lang: Lang, figures: &[Value], unit: &str) -> String {
    use base64::Engine;
    let bars: Vec<(String, f64)> = figures
        .iter()
        .filter(|f| text(f, "unit") == unit)
        .map(|f| {
            (
                short_label(lang, text(f, "label")),
                f["value"].as_f64().unwrap_or_default(),
            )
        })
        .collect();
    let svg = bar_chart(&bars).unwrap_or_else(|e| {
        tracing::warn!(error = %e, unit, "a report chart could not be drawn");
        String::new()
    });
    format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    )
}

/// A report label is "中文 English": the chart shows the part in the reader's language.
fn short_label(lang: Lang, label: &str) -> String {
    let split = label
        .char_indices()
        .find(|(_, c)| c.is_ascii_alphabetic())
        .map_or(label.len(), |(i, _)| i);
    let (zh, en) = label.split_at(split);
    match (lang, zh.trim(), en.trim()) {
        (Lang::Zh, zh, _) if !zh.is_empty() => zh.to_owned(),
        (_, _, en) if !en.is_empty() => en.to_owned(),
        _ => label.to_owned(),
    }
}

/// Horizontal bars, one per (label, value), the first at the top; whole numbers on the scale
/// when every value is whole.
pub fn bar_chart(bars: &[(String, f64)]) -> Result<String, String> {
    let mut svg = String::new();
    let height = 60 + 28 * bars.len().max(1) as u32;
    {
        let root = SVGBackend::with_string(&mut svg, (720, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let max = bars.iter().map(|b| b.1).fold(0.0, f64::max).max(1.0) * 1.1;
        let whole = bars.iter().all(|b| b.1.fract() == 0.0);
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(24)
            .y_label_area_size(200)
            .build_cartesian_2d(0.0..max, (0..bars.len()).into_segmented())
            .map_err(|e| e.to_string())?;
        let labels: Vec<String> = bars.iter().map(|b| b.0.clone()).collect();
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(bars.len().max(1))
            .y_label_formatter(&|v| match v {
                // Bar i is drawn at n-1-i, so that the list reads top down.
                SegmentValue::CenterOf(i) if *i < bars.len() => labels[bars.len() - 1 - *i].clone(),
                _ => String::new(),
            })
            .x_labels(if whole {
                (max as usize).clamp(2, 10)
            } else {
                10
            })
            .x_label_formatter(&|x| {
                if whole {
                    format!("{x:.0}")
                } else {
                    format!("{x:.1}")
                }
            })
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(
                Histogram::horizontal(&chart)
                    .style(RGBColor(139, 26, 26).filled())
                    .margin(6)
                    .data(
                        bars.iter()
                            .enumerate()
                            .map(|(i, b)| (bars.len() - 1 - i, b.1)),
                    ),
            )
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// `GET /console/report/figure?year=&key=`: the events a figure was computed from.
pub async fn figure(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ReportQuery>,
) -> Response {
    let lang = viewer.lang;
    let t = |zh, en| lang.t(zh, en);
    let year = q.year.unwrap_or_else(this_year);
    let figures = match figures(&state, &viewer, year).await {
        Ok(f) => f,
        Err(f) => return layout::failure_page(&viewer, &f),
    };
    let Some(figure) = figures.iter().find(|f| text(f, "key") == q.key) else {
        return layout::failure_page(
            &viewer,
            &Failure::new(
                "NOT_FOUND",
                t("报告中没有这个数字。", "The report has no such figure."),
            ),
        );
    };
    let provenance = figure.get("provenance").cloned().unwrap_or_default();
    let aggregate_type = text(&provenance, "aggregateType");
    let event_types: Vec<&str> = list(&provenance, "eventTypes")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let ids: Vec<&str> = list(&provenance, "aggregateIds")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    // One audit-trail page per aggregate (the trail filters by one id), at most the first 100
    // aggregates: a figure is a count of them, and the table says when some are left out.
    const SHOWN: usize = 100;
    let mut events: Vec<Value> = Vec::new();
    for id in ids.iter().take(SHOWN) {
        let filter =
            json!({"aggregateType": aggregate_type, "aggregateId": id, "eventTypes": event_types});
        match api::run(
            &state,
            Some(&viewer.session.actor),
            EVENTS,
            json!({"filter": filter}),
        )
        .await
        {
            Ok(d) => events.extend(nodes(&d, "auditTrail").iter().cloned()),
            Err(f) => return layout::failure_page(&viewer, &f),
        }
    }
    events.sort_by_key(|e| e["position"].as_i64());
    let body = html! {
        p.links { a href=(format!("/console/report?year={year}")) { (t("← 返回年度报告", "← Back to the report")) } }
        dl.facts {
            dt { (t("数值", "Value")) } dd { strong { (number(&figure["value"])) } " " (text(figure, "unit")) }
            dt { (t("对象", "Of")) } dd { (aggregate_type) " × " (ids.len()) }
            dt { (t("事件类型", "Event types")) } dd { (event_types.join(", ")) }
        }
        @if ids.len() > SHOWN {
            p.notice { (t("只列出前 100 个对象的事件。", "Events of the first 100 only.")) }
        }
        (events_table(lang, &events))
    };
    layout::page(&viewer, text(figure, "label"), body)
}

fn events_table(lang: Lang, events: &[Value]) -> Markup {
    let t = |zh, en| lang.t(zh, en);
    html! {
        @if events.is_empty() {
            p.empty { (t("没有事件。", "No events.")) }
        } @else {
            table.timeline {
                thead { tr {
                    th scope="col" { (t("位置", "Position")) }
                    th scope="col" { (t("时间", "Time")) }
                    th scope="col" { (t("对象", "Of")) }
                    th scope="col" { (t("事件", "Event")) }
                    th scope="col" { (t("操作人", "Actor")) }
                } }
                tbody { @for e in events { tr {
                    td { (e["position"]) }
                    td { (layout::local_time_text(text(e, "recordedAt"))) }
                    td {
                        @if text(e, "aggregateType") == "NormativeDocument" {
                            a href=(format!("/console/documents/{}/timeline", text(e, "aggregateId"))) { code { (text(e, "aggregateId")) } }
                        } @else { code { (text(e, "aggregateId")) } }
                    }
                    td { (text(e, "summary")) br; small { code { (text(e, "eventType")) } } }
                    td { (text(e, "actorName")) " · " (layout::role_label(lang, text(e, "role"))) }
                } } }
            }
        }
    }
}

/// `GET /console/integrity[?run=1]`: the hash chain, the digest and the latest signed
/// checkpoint, verified when asked (it reads the whole log).
pub async fn integrity(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<RunQuery>,
) -> Response {
    let lang = viewer.lang;
    let t = |zh, en| lang.t(zh, en);
    let result = if q.run.is_some() {
        match api::run(&state, Some(&viewer.session.actor), VERIFY, json!({})).await {
            Ok(d) => Some(d),
            Err(f) => return layout::failure_page(&viewer, &f),
        }
    } else {
        None
    };
    let body = html! {
        form.filters method="get" action="/console/integrity" {
            input type="hidden" name="run" value="1";
            button type="submit" { (t("校验账本完整性", "Verify integrity")) }
        }
        @if let Some(d) = &result {
            @let v = &d["verifyIntegrity"];
            @let intact = v["intact"].as_bool().unwrap_or(false);
            p class=(if intact { "notice" } else { "error" }) role="status" data-intact=(intact) {
                strong { @if intact { (t("完整：哈希链、摘要与签名检查点均一致。", "Intact: the hash chain, the digest and the signed checkpoints agree.")) }
                         @else { (t("发现问题！", "Problem found!")) } }
            }
            dl.facts {
                dt { (t("已校验事件", "Events checked")) } dd { (v["eventsChecked"]) }
                dt { (t("已校验事件流", "Streams checked")) } dd { (v["streamsChecked"]) }
                @if let Some(p) = v.pointer("/firstBrokenLink/position").filter(|p| !p.is_null()) {
                    dt { (t("首个断链位置", "First broken link at")) } dd { (p) }
                }
                dt { (t("已校验检查点", "Checkpoints checked")) } dd { (v["checkpointsChecked"]) }
                dt { (t("最近的签名检查点", "Latest signed checkpoint")) }
                dd { (layout::local_time_text(text(v, "latestCheckpointAt")))
                     @match v["checkpointSignerTrusted"].as_bool() {
                         Some(true) => { " · " (t("签名者可信", "signer trusted")) },
                         Some(false) => { " · " strong { (t("签名者不可信", "signer NOT trusted")) } },
                         None => {},
                     } }
                @if !text(v, "checkpointProblem").is_empty() {
                    dt { (t("检查点问题", "Checkpoint problem")) } dd { (text(v, "checkpointProblem")) }
                }
                dt { (t("当前摘要", "Current digest")) } dd { code { (text(v, "currentDigest")) } " @ " (v["currentLastPosition"]) }
            }
            h2 { (t("投影状态", "Projections")) }
            table { tbody { @for p in list(d, "projectionStatus") { tr {
                td { (text(p, "name")) } td { (p["lagEvents"]) " " (t("个事件未投影", "events behind")) }
                td { (text(p, "lastError")) }
            } } } }
        }
    };
    layout::page(&viewer, t("账本完整性", "Ledger integrity"), body)
}

#[derive(Deserialize)]
pub struct RunQuery {
    run: Option<String>,
}
