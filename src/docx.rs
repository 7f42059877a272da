//! Office files with the `docx-rs` crate.
//!
//! Reading a drafter's .docx (the format drafts actually come in) into plain text, one line
//! per paragraph: runs, tabs and breaks of every paragraph in body order, tracked insertions
//! kept and tracked deletions left out, tables read row by row with their cells separated by
//! tabs. Pictures, fields and comments carry no text and are skipped.
//!
//! Writing the legality review opinion (合法性审核意见书) from the record
//! ([`review_opinion`]): what the legal office sends the drafting body.

use docx_rs::{
    DocumentChild, InsertChild, Paragraph, ParagraphChild, Run, RunChild, Table, TableCellContent,
    TableChild, TableRowChild,
};

/// Why a file could not be read as a .docx.
#[derive(Debug, thiserror::Error)]
pub enum DocxError {
    #[error("not a readable .docx file: {0}")]
    Unreadable(String),
    #[error("the .docx holds no text")]
    Empty,
}

/// The text of a .docx, one line per paragraph.
pub fn text_of(bytes: &[u8]) -> Result<String, DocxError> {
    let docx = docx_rs::read_docx(bytes).map_err(|e| DocxError::Unreadable(e.to_string()))?;
    let mut lines = vec![];
    for child in &docx.document.children {
        match child {
            DocumentChild::Paragraph(p) => lines.push(paragraph(p)),
            DocumentChild::Table(t) => table(t, &mut lines),
            _ => {}
        }
    }
    let text = lines.join("\n");
    if text.trim().is_empty() {
        return Err(DocxError::Empty);
    }
    Ok(text)
}

fn paragraph(p: &Paragraph) -> String {
    let mut out = String::new();
    for child in &p.children {
        paragraph_child(child, &mut out);
    }
    out
}

fn paragraph_child(child: &ParagraphChild, out: &mut String) {
    match child {
        ParagraphChild::Run(r) => run(r, out),
        ParagraphChild::Insert(i) => {
            for c in &i.children {
                if let InsertChild::Run(r) = c {
                    run(r, out);
                }
            }
        }
        ParagraphChild::Hyperlink(h) => {
            for c in &h.children {
                paragraph_child(c, out);
            }
        }
        _ => {}
    }
}

fn run(r: &Run, out: &mut String) {
    for c in &r.children {
        match c {
            RunChild::Text(t) => out.push_str(&t.text),
            RunChild::Tab(_) => out.push('\t'),
            RunChild::Break(_) | RunChild::CarriageReturn(_) => out.push('\n'),
            _ => {}
        }
    }
}

fn table(t: &Table, lines: &mut Vec<String>) {
    for TableChild::TableRow(row) in &t.rows {
        let mut cells = vec![];
        for TableRowChild::TableCell(cell) in &row.cells {
            let mut parts = vec![];
            for content in &cell.children {
                match content {
                    TableCellContent::Paragraph(p) => parts.push(paragraph(p)),
                    TableCellContent::Table(inner) => {
                        let mut nested = vec![];
                        table(inner, &mut nested);
                        parts.extend(nested);
                    }
                    _ => {}
                }
            }
            cells.push(parts.join(" "));
        }
        lines.push(cells.join("\t"));
    }
}

/// One paragraph of a generated document and how it is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    Title(String),
    Body(String),
    /// Right-aligned: the issuing office and the date.
    Signature(String),
}

impl Line {
    pub fn text(&self) -> &str {
        match self {
            Line::Title(t) | Line::Body(t) | Line::Signature(t) => t,
        }
    }
}

/// Who the opinion is addressed to and who signs it, by name.
pub struct OpinionParties<'a> {
    /// The drafting unit (起草单位).
    pub addressee: &'a str,
    /// The review body (审核机构).
    pub review_body: &'a str,
}

/// The legality review opinion (合法性审核意见书) of the document's latest concluded review, as
/// lines: title, addressee, receipt, conclusion, the itemised issues with the clause and words
/// they are anchored to, the opinion, the advisors' opinions, and the review body with the
/// date. `None` when no review has concluded.
pub fn review_opinion_lines(
    doc: &crate::domain::NormativeDocument,
    parties: &OpinionParties<'_>,
) -> Option<Vec<Line>> {
    use crate::domain::document::ReviewOutcome;
    let draft = doc.draft.as_ref()?;
    let (review, conclusion) = doc
        .reviews
        .iter()
        .rev()
        .find_map(|r| r.conclusions.last().map(|c| (r, c)))?;
    let mut lines = vec![
        Line::Title(format!("关于《{}》的合法性审核意见书", draft.title)),
        Line::Body(format!("{}：", parties.addressee)),
        Line::Body(format!(
            "你单位于{}报送的《{}》{}及有关材料收悉。经审核，意见如下：",
            chinese_date(review.submitted_on),
            draft.title,
            conclusion
                .text_version
                .map(|v| format!("（第{v}版）"))
                .unwrap_or_default()
        )),
        Line::Body(format!(
            "审核结论：{}。",
            match conclusion.outcome {
                ReviewOutcome::Lawful => "合法",
                ReviewOutcome::MustRevise => "应当予以修改",
                ReviewOutcome::Unlawful => "不合法",
            }
        )),
    ];
    for issue in &conclusion.issues {
        let place = match (&issue.anchor, &issue.clause) {
            (Some(a), _) => format!(
                "（第{}版 {}{}）",
                a.version,
                a.clause,
                a.quote
                    .as_ref()
                    .map(|q| format!("“{q}”"))
                    .unwrap_or_default()
            ),
            (None, Some(c)) => format!("（{c}）"),
            (None, None) => String::new(),
        };
        lines.push(Line::Body(format!(
            "{}. {}{}",
            issue.number, issue.text, place
        )));
    }
    lines.push(Line::Body(conclusion.opinion.clone()));
    for o in &review.opinions {
        lines.push(Line::Body(format!(
            "法律顾问{}意见（{}）：{}",
            o.advisor_name,
            chinese_date(o.given_on),
            o.text
        )));
    }
    lines.push(Line::Signature(parties.review_body.to_owned()));
    lines.push(Line::Signature(chinese_date(conclusion.concluded_on)));
    Some(lines)
}

/// 2019年7月10日.
fn chinese_date(d: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// The opinion as a .docx: the title centred in bold, the body in 仿宋, the signature right.
pub fn review_opinion(
    doc: &crate::domain::NormativeDocument,
    parties: &OpinionParties<'_>,
) -> Option<Vec<u8>> {
    use docx_rs::{AlignmentType, Docx, RunFonts};
    let mut out = Docx::new();
    for line in review_opinion_lines(doc, parties)? {
        let fonts = RunFonts::new().east_asia(match line {
            Line::Title(_) => "方正小标宋简体",
            _ => "仿宋_GB2312",
        });
        let run = Run::new().add_text(line.text()).fonts(fonts);
        let paragraph = match line {
            Line::Title(_) => Paragraph::new()
                .add_run(run.bold().size(44))
                .align(AlignmentType::Center),
            Line::Body(_) => Paragraph::new().add_run(run.size(32)),
            Line::Signature(_) => Paragraph::new()
                .add_run(run.size(32))
                .align(AlignmentType::Right),
        };
        out = out.add_paragraph(paragraph);
    }
    let mut buf = std::io::Cursor::new(vec![]);
    out.build().pack(&mut buf).ok()?;
    Some(buf.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use docx_rs::{Docx, Paragraph, Run};

    fn docx(paragraphs: &[&str]) -> Vec<u8> {
        let mut doc = Docx::new();
        for p in paragraphs {
            doc = doc.add_paragraph(Paragraph::new().add_run(Run::new().add_text(*p)));
        }
        let mut buf = std::io::Cursor::new(vec![]);
        doc.build().pack(&mut buf).unwrap();
        buf.into_inner()
    }

    /// Paragraphs come back as lines, in order, with their Chinese text intact.
    #[test]
    fn paragraphs_become_lines() {
        let bytes = docx(&[
            "关于规范管理的规定",
            "第一条　为了规范管理，制定本规定。",
            "第二条　本规定自发布之日起施行。",
        ]);
        assert_eq!(
            text_of(&bytes).unwrap(),
            "关于规范管理的规定\n第一条　为了规范管理，制定本规定。\n第二条　本规定自发布之日起施行。"
        );
    }

    #[test]
    fn what_is_not_a_docx_or_holds_no_text_is_refused() {
        assert!(matches!(
            text_of(b"plain text"),
            Err(DocxError::Unreadable(_))
        ));
        assert!(matches!(text_of(&docx(&[" "])), Err(DocxError::Empty)));
    }
}
