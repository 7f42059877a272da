//! The office files, downloadable from the console and written by the CLI from the same
//! functions: the yearly catalogues (.xlsx, public), the certification-item list (.xlsx) and a
//! document's legality review opinion (.docx). Rows come through the API's own operations, so
//! a file holds exactly what its reader may see.

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use std::net::SocketAddr;

use super::api::{Api, Failure, text};
use super::layout;
use super::session::{Viewer, Visitor};
use crate::domain::Actor;
use crate::http::AppState;
use crate::store::opinion::{self, OpinionError};
use crate::xlsx::{self, Table};

const CATALOGUE: &str =
    "query Catalogue($year: Int!, $kind: CatalogueKind!, $body: String, $after: String) {
  publicCatalogue(year: $year, kind: $kind, bodyCode: $body, first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { number title issuingBodyCode issuedOn effectiveOn validUntil status
            ending { on reason } }
  }
}";

const ITEMS: &str = "query Items($after: String) {
  certificationItems(first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { name matter basisLevel basisCitation requestingUnit issuingUnit status
            commitmentEnabled decidedOn replacementMethod }
  }
}";

/// The yearly catalogue of `kind` (`IN_FORCE`: 现行有效, `ENDED`: 失效) as .xlsx.
pub async fn catalogue_xlsx(
    api: &Api<'_>,
    year: i32,
    kind: &str,
    body: Option<&str>,
) -> Result<Vec<u8>, Failure> {
    let vars = json!({"year": year, "kind": kind, "body": body});
    let nodes = api
        .all_nodes(None, CATALOGUE, "publicCatalogue", vars)
        .await?;
    let ended = kind == "ENDED";
    let title = format!(
        "{}{year}年{}规范性文件目录",
        body.unwrap_or_default(),
        if ended { "失效" } else { "现行有效" }
    );
    let rows = nodes
        .iter()
        .map(|d| {
            let mut row = vec![
                text(d, "number").to_owned(),
                text(d, "title").to_owned(),
                text(d, "issuingBodyCode").to_owned(),
                text(d, "issuedOn").to_owned(),
                text(d, "effectiveOn").to_owned(),
                text(d, "validUntil").to_owned(),
            ];
            if ended {
                let ending = d.get("ending").cloned().unwrap_or_default();
                row.push(text(&ending, "on").to_owned());
                row.push(text(&ending, "reason").to_owned());
            }
            row
        })
        .collect();
    let mut columns: Vec<(&str, f64)> = vec![
        ("文号", 24.0),
        ("标题", 48.0),
        ("制定主体", 16.0),
        ("印发日期", 12.0),
        ("施行日期", 12.0),
        ("有效期至", 12.0),
    ];
    if ended {
        columns.extend([("失效日期", 12.0), ("失效原因", 30.0)]);
    }
    xlsx::workbook(&Table {
        sheet: "目录",
        title: &title,
        columns: &columns,
        rows,
    })
    .map_err(|e| Failure::new("INTERNAL", e.to_string()))
}

/// The certification items (证明事项清单) the reader may see, as .xlsx.
pub async fn items_xlsx(api: &Api<'_>, actor: &Actor) -> Result<Vec<u8>, Failure> {
    let nodes = api
        .all_nodes(Some(actor), ITEMS, "certificationItems", json!({}))
        .await?;
    let yes_no = |v: &Value, k: &str| match v.get(k).and_then(Value::as_bool) {
        Some(true) => "是".to_owned(),
        Some(false) => "否".to_owned(),
        None => String::new(),
    };
    let rows = nodes
        .iter()
        .map(|i| {
            vec![
                text(i, "name").to_owned(),
                text(i, "matter").to_owned(),
                text(i, "basisLevel").to_owned(),
                text(i, "basisCitation").to_owned(),
                text(i, "requestingUnit").to_owned(),
                text(i, "issuingUnit").to_owned(),
                text(i, "status").to_owned(),
                yes_no(i, "commitmentEnabled"),
                text(i, "decidedOn").to_owned(),
                text(i, "replacementMethod").to_owned(),
            ]
        })
        .collect();
    xlsx::workbook(&Table {
        sheet: "证明事项",
        title: "证明事项清单",
        columns: &[
            ("证明名称", 30.0),
            ("办理事项", 30.0),
            ("设定依据层级", 14.0),
            ("设定依据", 40.0),
            ("索要单位", 18.0),
            ("开具单位", 18.0),
            ("状态", 12.0),
            ("告知承诺", 10.0),
            ("决定日期", 12.0),
            ("替代方式", 24.0),
        ],
        rows,
    })
    .map_err(|e| Failure::new("INTERNAL", e.to_string()))
}

fn download(bytes: Vec<u8>, content_type: &'static str, file: &str) -> Response {
    // RFC 6266 with RFC 5987: the Chinese file name for browsers that read it, an ASCII one
    // for the rest.
    let disposition = format!(
        "attachment; filename=\"normledger.{}\"; filename*=UTF-8''{}",
        file.rsplit('.').next().unwrap_or("bin"),
        super::session::encode(file)
    );
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

#[derive(Deserialize)]
pub struct CatalogueFile {
    year: i32,
    kind: String,
    #[serde(default)]
    body: String,
}

/// `GET /console/catalogue.xlsx?year=&kind=IN_FORCE|ENDED[&body=]`: public, rate-limited.
pub async fn catalogue(
    State(state): State<AppState>,
    visitor: Visitor,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Query(q): Query<CatalogueFile>,
) -> Response {
    if let Err(r) = super::catalogue::limit(&state, &visitor, client) {
        return r;
    }
    let body = (!q.body.trim().is_empty()).then_some(q.body.trim());
    match catalogue_xlsx(&Api::of(&state), q.year, &q.kind, body).await {
        Ok(bytes) => {
            let kind = if q.kind == "ENDED" {
                "失效"
            } else {
                "现行有效"
            };
            download(
                bytes,
                XLSX,
                &format!("{}年{kind}规范性文件目录.xlsx", q.year),
            )
        }
        Err(f) => {
            let mut r = layout::bare(visitor.lang, "—", layout::failure(&f));
            *r.status_mut() = layout::status_of(&f);
            r
        }
    }
}

/// `GET /console/certification-items.xlsx`.
pub async fn items(State(state): State<AppState>, viewer: Viewer) -> Response {
    match items_xlsx(&Api::of(&state), &viewer.session.actor).await {
        Ok(bytes) => download(bytes, XLSX, "证明事项清单.xlsx"),
        Err(f) => layout::failure_page(&viewer, &f),
    }
}

/// `GET /console/documents/{id}/opinion.docx`: for whoever may read the document's review.
pub async fn opinion(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<uuid::Uuid>,
) -> Response {
    // The read policy first: the review as the API would show it to this person.
    let check = "query Seen($id: String!) { document(id: $id) { title review { outcome } } }";
    let seen = match Api::of(&state)
        .run(Some(&viewer.session.actor), check, json!({"id": id}))
        .await
    {
        Ok(d) => d,
        Err(f) => return layout::failure_page(&viewer, &f),
    };
    let Some(doc) = seen.get("document").filter(|d| !d.is_null()) else {
        let f = Failure::new("NOT_FOUND", "no such document, or not yours to see");
        return layout::failure_page(&viewer, &f);
    };
    match opinion::review_opinion_docx(state.ledger.pool(), id).await {
        Ok(bytes) => download(
            bytes,
            DOCX,
            &format!("{}合法性审核意见书.docx", text(doc, "title")),
        ),
        Err(OpinionError::NotConcluded | OpinionError::NoDocument(_)) => {
            let f = Failure::new(
                "BUSINESS_RULE",
                "the document has no concluded legality review",
            );
            layout::failure_page(&viewer, &f)
        }
        Err(OpinionError::Store(e)) => {
            tracing::warn!(error = %e, "writing the opinion failed");
            layout::unavailable(viewer.lang)
        }
    }
}
