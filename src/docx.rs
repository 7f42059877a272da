//! Reading a drafter's .docx (the format drafts actually come in) into plain text, one line
//! per paragraph, with the `docx-rs` crate: runs, tabs and breaks of every paragraph in body
//! order, tracked insertions kept and tracked deletions left out, tables read row by row with
//! their cells separated by tabs. Pictures, fields and comments carry no text and are skipped.

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
