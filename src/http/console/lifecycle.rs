//! The lifecycle picture on a document's timeline: the domain's transition table drawn as an
//! SVG graph, with the way this document went and where it is now.
//!
//! Nothing here knows the lifecycle: boxes and arrows come from
//! [`crate::domain::document::lifecycle`] (whose test ties it to the aggregate's guards), the
//! way taken from the API's `Document.statusPath`. Colours are classes styled by the console's
//! stylesheet, so the strict CSP (no inline style) holds.

use maud::{Markup, html};

use super::layout::{self, Lang};
use crate::domain::DocumentStatus;
use crate::domain::document::lifecycle::{TRANSITIONS, depth, status_named, statuses_in_order};

const BOX_W: i32 = 118;
const BOX_H: i32 = 30;
const COL: i32 = 140;
const ROW: i32 = 44;
const PAD: i32 = 10;

/// Where each status sits: its column (depth) and its row within the column.
fn places() -> Vec<(DocumentStatus, i32, i32)> {
    let mut rows_used: Vec<i32> = vec![];
    statuses_in_order()
        .into_iter()
        .map(|s| {
            let col = depth(s).unwrap_or(0);
            if rows_used.len() <= col {
                rows_used.resize(col + 1, 0);
            }
            let row = rows_used[col];
            rows_used[col] += 1;
            (s, PAD + col as i32 * COL, PAD + row * ROW)
        })
        .collect()
}

/// The picture, with the statuses `path` went through (as the API names them, oldest first);
/// the last is where the document is now.
pub fn picture(lang: Lang, path: &[String]) -> Markup {
    let t = |zh, en| lang.t(zh, en);
    let places = places();
    let at = |s: DocumentStatus| places.iter().find(|p| p.0 == s).map(|p| (p.1, p.2));
    let been: Vec<DocumentStatus> = path.iter().filter_map(|s| status_named(s)).collect();
    let now = been.last().copied();
    let taken = |from: DocumentStatus, to: DocumentStatus| {
        been.windows(2).any(|w| w[0] == from && w[1] == to)
    };
    let width = places.iter().map(|p| p.1).max().unwrap_or(0) + BOX_W + PAD;
    let height = places.iter().map(|p| p.2).max().unwrap_or(0) + BOX_H + PAD;
    let mut edges: Vec<(DocumentStatus, DocumentStatus)> = vec![];
    for row in TRANSITIONS {
        for from in row.from {
            if !edges.contains(&(*from, row.to)) {
                edges.push((*from, row.to));
            }
        }
    }
    html! {
        figure.lifecycle {
            svg xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {width} {height}"))
                width=(width) height=(height) role="img"
                aria-label=(t("文件生命周期图", "The document's lifecycle")) {
                defs {
                    marker #lc-arrow viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6"
                        markerHeight="6" orient="auto-start-reverse" {
                        path d="M 0 0 L 10 5 L 0 10 z" class="lc-head";
                    }
                }
                @for (from, to) in &edges {
                    @if let (Some((x1, y1)), Some((x2, y2))) = (at(*from), at(*to)) {
                        path class=(if taken(*from, *to) { "lc-edge lc-taken" } else { "lc-edge" })
                            d=(edge_path(x1, y1, x2, y2)) marker-end="url(#lc-arrow)" {}
                    }
                }
                @for (status, x, y) in &places {
                    @let class = if Some(*status) == now { "lc-node lc-now" }
                        else if been.contains(status) { "lc-node lc-been" } else { "lc-node" };
                    g class=(class) {
                        title { (layout::status_label(lang, status.as_str())) }
                        rect x=(x) y=(y) width=(BOX_W) height=(BOX_H) rx="5" {}
                        text x=(x + BOX_W / 2) y=(y + BOX_H / 2 + 5) text-anchor="middle" {
                            (layout::status_label(lang, status.as_str()))
                        }
                    }
                }
            }
            figcaption {
                (t("经过：", "Went through: "))
                @for (i, s) in path.iter().enumerate() {
                    @if i > 0 { " → " }
                    @if i + 1 == path.len() { strong { (layout::status_label(lang, s)) } }
                    @else { (layout::status_label(lang, s)) }
                }
            }
        }
    }
}

/// Forward arrows run from the right side of one box to the left side of the next; arrows
/// back (to drafting, from a revision) and within a column bow below the boxes.
fn edge_path(x1: i32, y1: i32, x2: i32, y2: i32) -> String {
    let (cy1, cy2) = (y1 + BOX_H / 2, y2 + BOX_H / 2);
    if x2 > x1 {
        format!("M {} {cy1} L {} {cy2}", x1 + BOX_W, x2)
    } else {
        let (sx, ex) = (x1 + BOX_W / 2, x2 + BOX_W / 2);
        let (sy, ey) = (y1 + BOX_H, y2 + BOX_H);
        let dip = sy.max(ey) + ROW / 2;
        format!("M {sx} {sy} C {sx} {dip}, {ex} {dip}, {ex} {ey}")
    }
}
