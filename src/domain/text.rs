//! Document texts (正文): how a text is normalised and identified, its clause structure
//! (章, 条, 款, 项, 目) with stable ids, and the clause-level diff of two versions.
//!
//! A version is identified by the SHA-256 of its normalised text, so two texts that differ
//! only in line endings, trailing spaces or Unicode composition are the same version.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use similar::{Algorithm, ChangeTag, DiffOp, TextDiff};
use unicode_normalization::UnicodeNormalization;

/// The stage a text version was recorded at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TextStage {
    /// 征求意见稿 (or the drafter's working draft).
    Draft,
    /// 送审稿: the text submitted for the legality review.
    Submitted,
    /// 修改稿: the drafter's revision after the review's issues.
    Revision,
    /// 印发稿: the text issued.
    Issued,
    /// 勘误后: the text after a correction.
    Corrected,
}

impl TextStage {
    /// The stage's name in the documents themselves.
    pub fn label(self) -> &'static str {
        match self {
            TextStage::Draft => "征求意见稿",
            TextStage::Submitted => "送审稿",
            TextStage::Revision => "修改稿",
            TextStage::Issued => "印发稿",
            TextStage::Corrected => "勘误后",
        }
    }
}

/// NFC, `\n` line endings, no trailing spaces (ASCII or full-width) on any line, no leading
/// byte-order mark, no blank lines at either end.
pub fn normalise(text: &str) -> String {
    let nfc: String = text.trim_start_matches('\u{feff}').nfc().collect();
    let unified = nfc.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = unified.lines().map(str::trim_end).collect();
    lines.join("\n").trim_matches('\n').to_owned()
}

/// The version's identity: the SHA-256 of the normalised text, in hex.
pub fn text_hash(normalised: &str) -> String {
    text_hash_bytes(normalised.as_bytes())
}

/// The SHA-256 of some bytes, in hex.
pub fn text_hash_bytes(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What kind of provision a clause is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ClauseKind {
    /// A paragraph before the first article or section (the preamble).
    Preamble,
    /// 章 (and 节 within it): a heading.
    Chapter,
    /// A numbered part of a notice-style text (一、二、…).
    Section,
    /// 条.
    Article,
    /// 款: a paragraph of an article or section.
    Paragraph,
    /// 项: （一）（二）…
    Item,
    /// 目: 1. 2. …
    SubItem,
}

/// One provision of a version, with an id stable within that version: `art-5`, `art-5-p2`,
/// `art-5-p2-i3`, `art-5-p2-i3-s1`, `ch-2`, `sec-3`, `pre-1`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clause {
    pub id: String,
    pub kind: ClauseKind,
    /// As the text numbers it: 第五条, 第二款, （三）, 1., 第二章, 三、
    pub number: String,
    /// A chapter's or section's title.
    pub heading: Option<String>,
    /// The clause's own text; an article's or section's includes all its paragraphs.
    pub text: String,
}

/// Parses a Chinese or Arabic numeral (一百二十三, 十五, 两, 〇, 12).
pub fn chinese_number(s: &str) -> Option<u32> {
    if let Ok(n) = s.parse() {
        return Some(n);
    }
    let digit = |c: char| "零一二三四五六七八九".find(c).map(|i| (i / 3) as u32);
    let (mut total, mut current) = (0u32, None::<u32>);
    for c in s.chars() {
        match c {
            '〇' => current = Some(0),
            '两' => current = Some(2),
            '十' => {
                total += current.unwrap_or(1) * 10;
                current = None;
            }
            '百' => {
                total += current.unwrap_or(1) * 100;
                current = None;
            }
            '千' => {
                total += current.unwrap_or(1) * 1000;
                current = None;
            }
            c => current = Some(digit(c)?),
        }
    }
    (!s.is_empty()).then_some(total + current.unwrap_or(0))
}

/// `第N<unit>` at the start of a line: the number, the marker, and the rest.
fn ordinal(line: &str, unit: char) -> Option<(u32, &str, &str)> {
    let rest = line.strip_prefix('第')?;
    let end = rest.find(unit)?;
    let n = chinese_number(&rest[..end])?;
    let marker_len = '第'.len_utf8() + end + unit.len_utf8();
    Some((n, &line[..marker_len], line[marker_len..].trim_start()))
}

/// `（三）` or `(三)` at the start of a line.
fn item_marker(line: &str) -> Option<(u32, &str, &str)> {
    let (open, rest) = line
        .strip_prefix('（')
        .map(|r| ('（', r))
        .or_else(|| line.strip_prefix('(').map(|r| ('(', r)))?;
    let close = rest.find(['）', ')'])?;
    let n = chinese_number(&rest[..close])?;
    let close_len = rest[close..].chars().next()?.len_utf8();
    let marker_len = open.len_utf8() + close + close_len;
    Some((n, &line[..marker_len], line[marker_len..].trim_start()))
}

/// `1.`, `1．` or `1、` at the start of a line.
fn sub_item_marker(line: &str) -> Option<(u32, &str, &str)> {
    let digits = line.find(|c: char| !c.is_ascii_digit())?;
    let n = line[..digits].parse().ok()?;
    let sep = line[digits..].chars().next()?;
    if !matches!(sep, '.' | '．' | '、') || digits == 0 {
        return None;
    }
    let marker_len = digits + sep.len_utf8();
    Some((n, &line[..marker_len], line[marker_len..].trim_start()))
}

/// `三、` at the start of a line.
fn section_marker(line: &str) -> Option<(u32, &str, &str)> {
    let end = line.find('、')?;
    let n = chinese_number(&line[..end]).filter(|_| !line[..end].is_empty())?;
    if line[..end].chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let marker_len = end + '、'.len_utf8();
    Some((n, &line[..marker_len], line[marker_len..].trim_start()))
}

/// The clauses of a normalised text, in reading order: every line belongs to exactly one
/// paragraph-level clause (a preamble paragraph, 款, 项 or 目) and to the article, section
/// or chapter that contains it.
pub fn clauses(text: &str) -> Vec<Clause> {
    let mut out: Vec<Clause> = vec![];
    // Index in `out` of the open article or section, and its id.
    let mut unit: Option<(usize, String)> = None;
    let mut chapter: Option<u32> = None;
    let (mut preamble, mut paragraph, mut item, mut articles_seen) = (0, 0, 0, false);
    let mut item_id = String::new();
    for raw in text.lines() {
        let line = raw.trim_start_matches([' ', '\u{3000}', '\t']);
        if line.is_empty() {
            continue;
        }
        if let Some((n, marker, rest)) = ordinal(line, '章').or_else(|| ordinal(line, '节')) {
            let id = if marker.ends_with('章') {
                chapter = Some(n);
                format!("ch-{n}")
            } else {
                format!("ch-{}-pt-{n}", chapter.unwrap_or(0))
            };
            out.push(Clause {
                id,
                kind: ClauseKind::Chapter,
                number: marker.to_owned(),
                heading: Some(rest.to_owned()).filter(|r| !r.is_empty()),
                text: line.to_owned(),
            });
            unit = None;
            continue;
        }
        let opened = if let Some((n, marker, _)) = ordinal(line, '条') {
            articles_seen = true;
            Some((format!("art-{n}"), ClauseKind::Article, marker, None))
        } else if let Some((n, marker, rest)) = section_marker(line).filter(|_| !articles_seen) {
            let id = match chapter {
                Some(c) => format!("ch-{c}-sec-{n}"),
                None => format!("sec-{n}"),
            };
            Some((id, ClauseKind::Section, marker, Some(rest.to_owned())))
        } else {
            None
        };
        if let Some((id, kind, marker, heading)) = opened {
            out.push(Clause {
                id: id.clone(),
                kind,
                number: marker.to_owned(),
                heading,
                text: line.to_owned(),
            });
            unit = Some((out.len() - 1, id));
            (paragraph, item) = (0, 0);
            // The article's first line is also its first paragraph.
            if kind == ClauseKind::Article {
                paragraph = 1;
                out.push(paragraph_clause(&unit, 1, line));
            }
            continue;
        }
        let Some((unit_index, unit_id)) = &unit else {
            preamble += 1;
            out.push(Clause {
                id: format!("pre-{preamble}"),
                kind: ClauseKind::Preamble,
                number: format!("{preamble}"),
                heading: None,
                text: line.to_owned(),
            });
            continue;
        };
        let unit_index = *unit_index;
        out[unit_index].text.push('\n');
        out[unit_index].text.push_str(line);
        if let Some((n, marker, _)) = item_marker(line) {
            if paragraph == 0 {
                paragraph = 1;
            }
            item = n;
            item_id = format!("{unit_id}-p{paragraph}-i{n}");
            out.push(Clause {
                id: item_id.clone(),
                kind: ClauseKind::Item,
                number: marker.to_owned(),
                heading: None,
                text: line.to_owned(),
            });
        } else if let Some((n, marker, _)) = sub_item_marker(line).filter(|_| item > 0) {
            out.push(Clause {
                id: format!("{item_id}-s{n}"),
                kind: ClauseKind::SubItem,
                number: marker.to_owned(),
                heading: None,
                text: line.to_owned(),
            });
        } else {
            paragraph += 1;
            item = 0;
            out.push(paragraph_clause(&unit, paragraph, line));
        }
    }
    out
}

fn paragraph_clause(unit: &Option<(usize, String)>, n: u32, line: &str) -> Clause {
    let unit_id = unit.as_ref().map_or("", |u| u.1.as_str());
    Clause {
        id: format!("{unit_id}-p{n}"),
        kind: ClauseKind::Paragraph,
        number: format!("第{}款", chinese_numeral(n)),
        heading: None,
        text: line.to_owned(),
    }
}

/// 1 → 一, 12 → 十二, 25 → 二十五 (paragraph numbers are small).
fn chinese_numeral(n: u32) -> String {
    const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => DIGITS[n as usize].to_owned(),
        10..=19 => format!(
            "十{}",
            if n == 10 {
                ""
            } else {
                DIGITS[(n - 10) as usize]
            }
        ),
        20..=99 => format!(
            "{}十{}",
            DIGITS[(n / 10) as usize],
            if n.is_multiple_of(10) {
                ""
            } else {
                DIGITS[(n % 10) as usize]
            }
        ),
        _ => n.to_string(),
    }
}

/// The character bigrams of a text as search keys, sorted and distinct: what search indexes,
/// since Chinese has no spaces to split words on and most words are two characters. A query
/// matches a clause only if all its keys are among the clause's.
///
/// Pairs are taken within runs of letters and digits, lower-cased, never across spaces or
/// punctuation: so a two-character term is in a clause exactly when its key is (罚款 in
/// "罚款，" but not in "罚，款"). A pair of characters from the Basic Multilingual Plane (all
/// of CJK in everyday use) is its key exactly, 16 bits each; any other pair is hashed, and a
/// clash only costs the exact check every match gets.
pub fn bigram_keys(text: &str) -> Vec<i32> {
    let mut keys = Vec::new();
    let mut previous: Option<char> = None;
    for c in text.chars() {
        if !c.is_alphanumeric() {
            previous = None;
            continue;
        }
        for lower in c.to_lowercase() {
            if let Some(p) = previous {
                keys.push(bigram_key(p, lower));
            }
            previous = Some(lower);
        }
    }
    keys.sort_unstable();
    keys.dedup();
    keys
}

fn bigram_key(a: char, b: char) -> i32 {
    let (a, b) = (a as u32, b as u32);
    let key = if a <= 0xFFFF && b <= 0xFFFF {
        (a << 16) | b
    } else {
        // FNV-1a over both code points.
        [a, b]
            .iter()
            .flat_map(|c| c.to_le_bytes())
            .fold(0x811c_9dc5_u32, |h, byte| {
                (h ^ u32::from(byte)).wrapping_mul(0x0100_0193)
            })
    };
    key as i32
}

/// The clauses search indexes: chapter headings and every paragraph-level clause (an
/// article's or section's text is the sum of its paragraphs).
pub fn searchable(c: &Clause) -> bool {
    !matches!(c.kind, ClauseKind::Article | ClauseKind::Section)
}

/// A citation of higher law in a clause: 《中华人民共和国行政许可法》第十二条.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Citation {
    /// The clause that cites.
    pub clause: String,
    /// The law's title as cited, without 《》.
    pub law: String,
    /// The article cited, if any (每一条 of "第十二条、第十三条" is its own citation).
    pub article: Option<u32>,
}

/// Words that end the title of a law, regulation or rule a document may rest on.
const LAW_TITLE_ENDINGS: [&str; 9] = [
    "法", "条例", "规定", "办法", "决定", "规则", "细则", "意见", "通知",
];

/// The citations in the paragraph-level clauses of a text: every 《title》 that names a law,
/// regulation or rule, with each article that follows it (第N条, 第N条、第M条), in reading
/// order, once per clause, law and article.
pub fn citations(clauses: &[Clause]) -> Vec<Citation> {
    let mut out: Vec<Citation> = vec![];
    for c in clauses
        .iter()
        .filter(|c| searchable(c) && c.kind != ClauseKind::Chapter)
    {
        let mut rest = c.text.as_str();
        while let Some(open) = rest.find('《') {
            let after = &rest[open + '《'.len_utf8()..];
            let Some(close) = after.find('》') else {
                break;
            };
            let law = after[..close].trim().to_owned();
            rest = &after[close + '》'.len_utf8()..];
            if !LAW_TITLE_ENDINGS.iter().any(|e| law.ends_with(e)) {
                continue;
            }
            let mut articles = vec![];
            let mut tail = rest;
            while let Some((n, _, next)) = ordinal(tail, '条') {
                articles.push(n);
                tail = next
                    .strip_prefix('、')
                    .or_else(|| next.strip_prefix('和'))
                    .unwrap_or("");
                if !tail.starts_with('第') {
                    break;
                }
            }
            let cited: Vec<Option<u32>> = if articles.is_empty() {
                vec![None]
            } else {
                articles.into_iter().map(Some).collect()
            };
            for article in cited {
                let citation = Citation {
                    clause: c.id.clone(),
                    law: law.clone(),
                    article,
                };
                if !out.contains(&citation) {
                    out.push(citation);
                }
            }
        }
    }
    out
}

/// The units a diff compares: preamble paragraphs, chapter headings, articles and sections
/// (each with all its paragraphs), in reading order.
pub fn diff_units(clauses: &[Clause]) -> Vec<&Clause> {
    clauses
        .iter()
        .filter(|c| {
            matches!(
                c.kind,
                ClauseKind::Preamble
                    | ClauseKind::Chapter
                    | ClauseKind::Article
                    | ClauseKind::Section
            )
        })
        .collect()
}

/// What happened to a clause between two versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
    Moved,
    Unchanged,
}

/// A run of characters inside a changed clause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SpanKind {
    Equal,
    Inserted,
    Deleted,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub kind: SpanKind,
    pub text: String,
}

/// One clause-level change. `from` and `to` are the clause in each version (absent for an
/// added or a removed clause); `spans` are the character-level changes of a CHANGED clause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClauseChange<'a> {
    pub kind: ChangeKind,
    pub from: Option<&'a Clause>,
    pub to: Option<&'a Clause>,
    pub spans: Vec<Span>,
}

impl ClauseChange<'_> {
    /// Characters inserted plus characters deleted.
    pub fn changed_chars(&self) -> usize {
        self.spans
            .iter()
            .filter(|s| s.kind != SpanKind::Equal)
            .map(|s| s.text.chars().count())
            .sum()
    }

    /// The id that names the change: the new clause's, else the removed one's.
    pub fn id(&self) -> &str {
        self.to.or(self.from).map_or("", |c| c.id.as_str())
    }
}

/// A unit's text without its own number (第五条, 三、), so that renumbering alone is not a change.
fn body(c: &Clause) -> &str {
    c.text
        .strip_prefix(c.number.as_str())
        .unwrap_or(&c.text)
        .trim_start()
}

/// How alike two texts are (0 to 1), by characters.
fn similarity(a: &str, b: &str) -> f32 {
    TextDiff::configure()
        .algorithm(Algorithm::Patience)
        .diff_chars(a, b)
        .ratio()
}

fn spans(a: &str, b: &str) -> Vec<Span> {
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Patience)
        .diff_chars(a, b);
    let mut out: Vec<Span> = vec![];
    for change in diff.iter_all_changes() {
        let kind = match change.tag() {
            ChangeTag::Equal => SpanKind::Equal,
            ChangeTag::Insert => SpanKind::Inserted,
            ChangeTag::Delete => SpanKind::Deleted,
        };
        match out.last_mut() {
            Some(last) if last.kind == kind => last.text.push_str(change.value()),
            _ => out.push(Span {
                kind,
                text: change.value().to_owned(),
            }),
        }
    }
    out
}

/// Clauses at least this alike, in the same stretch of the text, are one clause CHANGED
/// rather than one REMOVED and one ADDED.
const SAME_CLAUSE: f32 = 0.5;

/// The clause-level diff of two versions' units (see [`diff_units`]), in the new version's
/// order with removed clauses where they stood: a sequence diff of the units' bodies, then
/// removed and added bodies that are equal become MOVED, and alike ones in the same stretch
/// become CHANGED with their character spans.
pub fn diff<'a>(from: &[&'a Clause], to: &[&'a Clause]) -> Vec<ClauseChange<'a>> {
    let old: Vec<&str> = from.iter().map(|c| body(c)).collect();
    let new: Vec<&str> = to.iter().map(|c| body(c)).collect();
    let ops = similar::capture_diff_slices(Algorithm::Patience, &old, &new);
    // First pass: equal runs, and the removed and added units of each stretch.
    let mut stretches: Vec<(Vec<usize>, Vec<usize>)> = vec![];
    let mut out: Vec<(usize, ClauseChange<'a>)> = vec![];
    for op in &ops {
        match *op {
            DiffOp::Equal {
                old_index,
                new_index,
                len,
            } => {
                for k in 0..len {
                    out.push((
                        new_index + k,
                        ClauseChange {
                            kind: ChangeKind::Unchanged,
                            from: Some(from[old_index + k]),
                            to: Some(to[new_index + k]),
                            spans: vec![],
                        },
                    ));
                }
            }
            DiffOp::Delete {
                old_index, old_len, ..
            } => stretches.push(((old_index..old_index + old_len).collect(), vec![])),
            DiffOp::Insert {
                new_index, new_len, ..
            } => stretches.push((vec![], (new_index..new_index + new_len).collect())),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => stretches.push((
                (old_index..old_index + old_len).collect(),
                (new_index..new_index + new_len).collect(),
            )),
        }
    }
    // Bodies removed in one place and added in another: moved.
    let mut removed_left: Vec<usize> = stretches.iter().flat_map(|s| s.0.clone()).collect();
    let mut moved_to: std::collections::HashMap<usize, usize> = Default::default();
    for &n in stretches.iter().flat_map(|s| s.1.iter()) {
        if let Some(pos) = removed_left.iter().position(|&o| old[o] == new[n]) {
            moved_to.insert(n, removed_left.remove(pos));
        }
    }
    // Where a removed unit stood in the new order: just before the next unit that follows.
    let anchor_of_old = |o: usize| -> usize {
        ops.iter()
            .find_map(|op| {
                let (oi, ol, ni) = match *op {
                    DiffOp::Delete {
                        old_index,
                        old_len,
                        new_index,
                    } => (old_index, old_len, new_index),
                    DiffOp::Replace {
                        old_index,
                        old_len,
                        new_index,
                        ..
                    } => (old_index, old_len, new_index),
                    _ => return None,
                };
                (oi..oi + ol).contains(&o).then_some(ni)
            })
            .unwrap_or(to.len())
    };
    for (olds, news) in &stretches {
        let mut olds: Vec<usize> = olds
            .iter()
            .copied()
            .filter(|o| removed_left.contains(o))
            .collect();
        for &n in news {
            if let Some(&o) = moved_to.get(&n) {
                out.push((
                    n,
                    ClauseChange {
                        kind: ChangeKind::Moved,
                        from: Some(from[o]),
                        to: Some(to[n]),
                        spans: vec![],
                    },
                ));
                continue;
            }
            let best = olds
                .iter()
                .enumerate()
                .map(|(i, &o)| (i, similarity(old[o], new[n])))
                .filter(|(_, s)| *s >= SAME_CLAUSE)
                .max_by(|a, b| a.1.total_cmp(&b.1));
            match best {
                Some((i, _)) => {
                    let o = olds.remove(i);
                    out.push((
                        n,
                        ClauseChange {
                            kind: ChangeKind::Changed,
                            from: Some(from[o]),
                            to: Some(to[n]),
                            spans: spans(body(from[o]), body(to[n])),
                        },
                    ));
                }
                None => out.push((
                    n,
                    ClauseChange {
                        kind: ChangeKind::Added,
                        from: None,
                        to: Some(to[n]),
                        spans: vec![],
                    },
                )),
            }
        }
        for o in olds {
            out.push((
                anchor_of_old(o),
                ClauseChange {
                    kind: ChangeKind::Removed,
                    from: Some(from[o]),
                    to: None,
                    spans: vec![],
                },
            ));
        }
    }
    // Stable: a removed clause sorts before the unit that now stands where it stood.
    out.sort_by_key(|(n, c)| (*n, c.kind != ChangeKind::Removed));
    out.into_iter().map(|(_, c)| c).collect()
}

/// A diff for a terminal or a file: one line per changed clause (`+` added, `-` removed,
/// `~` changed, `>` moved), and a changed clause's text with `[-deleted-]` and `{+inserted+}`
/// marks (the wdiff convention).
pub fn render_diff(changes: &[ClauseChange]) -> String {
    let mut out = String::new();
    for c in changes {
        let name =
            |cl: Option<&Clause>| cl.map_or(String::new(), |cl| format!("{} {}", cl.id, cl.number));
        match c.kind {
            ChangeKind::Unchanged => continue,
            ChangeKind::Added => out.push_str(&format!(
                "+ {}\n  {}\n",
                name(c.to),
                c.to.map_or("", |x| &x.text)
            )),
            ChangeKind::Removed => out.push_str(&format!(
                "- {}\n  {}\n",
                name(c.from),
                c.from.map_or("", |x| &x.text)
            )),
            ChangeKind::Moved => {
                out.push_str(&format!("> {} (was {})\n", name(c.to), name(c.from)))
            }
            ChangeKind::Changed => {
                out.push_str(&format!("~ {}\n  ", name(c.to)));
                for s in &c.spans {
                    match s.kind {
                        SpanKind::Equal => out.push_str(&s.text),
                        SpanKind::Deleted => out.push_str(&format!("[-{}-]", s.text)),
                        SpanKind::Inserted => out.push_str(&format!("{{+{}+}}", s.text)),
                    }
                }
                out.push('\n');
            }
        }
    }
    if out.is_empty() {
        out.push_str("no change\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &str = "为规范管理，制定本办法。\r\n\
第一章　总则\n\
第一条　本办法适用于本县。  \n\
第二条　申请人应当提交下列材料：\n\
（一）身份证明；\n\
（二）申请书：\n\
1.申请人姓名；\n\
2.申请事项。\n\
申请材料不齐全的，应当一次告知。\n\
第二章　附则\n\
第三条　本办法自发布之日起施行。\n";

    /// Line endings, trailing spaces and composition do not make a new version.
    #[test]
    fn normalisation_makes_equivalent_texts_one_version() {
        let a = normalise("第一条　本办法。  \r\n第二条 施行。\r\n\r\n");
        let b = normalise("\u{feff}第一条　本办法。\n第二条 施行。");
        assert_eq!(a, b);
        assert_eq!(text_hash(&a), text_hash(&b));
        // "é" composed and decomposed.
        assert_eq!(normalise("cafe\u{301}"), normalise("caf\u{e9}"));
        assert_ne!(text_hash(&a), text_hash(&normalise("第一条　本办法！")));
    }

    #[test]
    fn chinese_numerals_read_as_numbers() {
        for (s, n) in [
            ("一", 1),
            ("十", 10),
            ("十五", 15),
            ("二十", 20),
            ("一百二十三", 123),
            ("一百零五", 105),
            ("两", 2),
            ("12", 12),
        ] {
            assert_eq!(chinese_number(s), Some(n), "{s}");
        }
        assert_eq!(chinese_number("条"), None);
    }

    /// Every level of a rules-style text gets its id: chapters, articles, paragraphs (款),
    /// items (项) and sub-items (目), and the preamble.
    #[test]
    fn clauses_get_stable_ids_at_every_level() {
        let cs = clauses(&normalise(RULES));
        let ids: Vec<&str> = cs.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "pre-1",
                "ch-1",
                "art-1",
                "art-1-p1",
                "art-2",
                "art-2-p1",
                "art-2-p1-i1",
                "art-2-p1-i2",
                "art-2-p1-i2-s1",
                "art-2-p1-i2-s2",
                "art-2-p2",
                "ch-2",
                "art-3",
                "art-3-p1"
            ]
        );
        let art2 = cs.iter().find(|c| c.id == "art-2").unwrap();
        assert_eq!(art2.number, "第二条");
        assert!(art2.text.ends_with("应当一次告知。"), "{}", art2.text);
        let ch1 = cs.iter().find(|c| c.id == "ch-1").unwrap();
        assert_eq!(ch1.heading.as_deref(), Some("总则"));
        let p2 = cs.iter().find(|c| c.id == "art-2-p2").unwrap();
        assert_eq!(p2.number, "第二款");
    }

    /// Notice-style texts (一、二、 with （一） items) are numbered by section.
    #[test]
    fn notices_are_split_into_sections() {
        let text = normalise(
            "各乡镇人民政府：\n一、工作目标\n（一）全面清理。\n二、工作要求\n各单位要高度重视。",
        );
        let ids: Vec<String> = clauses(&text).into_iter().map(|c| c.id).collect();
        assert_eq!(ids, ["pre-1", "sec-1", "sec-1-p1-i1", "sec-2", "sec-2-p1"]);
    }

    fn kinds(a: &str, b: &str) -> Vec<(ChangeKind, String)> {
        let (ca, cb) = (clauses(&normalise(a)), clauses(&normalise(b)));
        diff(&diff_units(&ca), &diff_units(&cb))
            .iter()
            .map(|c| (c.kind, c.id().to_owned()))
            .collect()
    }

    /// A renumbered article is unchanged, an edited one changed (with spans), a new one
    /// added, a dropped one removed, and one that moved is MOVED.
    #[test]
    fn diffs_name_each_clause_change() {
        let before = "第一条　适用范围为本县。\n第二条　申请人应当提交身份证明。\n第三条　收费标准另行规定。\n第四条　本办法自发布之日起施行。";
        let after = "第一条　本办法自发布之日起施行。\n第二条　适用范围为本县。\n第三条　申请人应当提交身份证明和申请书。\n第四条　监督检查由县司法局负责。";
        let k = kinds(before, after);
        assert!(k.contains(&(ChangeKind::Moved, "art-1".into())), "{k:?}");
        assert!(k.contains(&(ChangeKind::Changed, "art-3".into())), "{k:?}");
        assert!(k.contains(&(ChangeKind::Added, "art-4".into())), "{k:?}");
        assert!(k.contains(&(ChangeKind::Removed, "art-3".into())), "{k:?}");
        assert!(
            k.contains(&(ChangeKind::Unchanged, "art-2".into())),
            "{k:?}"
        );
        let (ca, cb) = (clauses(&normalise(before)), clauses(&normalise(after)));
        let d = diff(&diff_units(&ca), &diff_units(&cb));
        let changed = d.iter().find(|c| c.kind == ChangeKind::Changed).unwrap();
        assert_eq!(
            changed
                .spans
                .iter()
                .filter(|s| s.kind == SpanKind::Inserted)
                .map(|s| s.text.as_str())
                .collect::<String>(),
            "和申请书"
        );
        assert_eq!(changed.changed_chars(), 4);
    }

    #[test]
    fn a_rendered_diff_marks_words_in_and_out() {
        let a = clauses(&normalise("第一条　适用于本县。\n第二条　施行。"));
        let b = clauses(&normalise(
            "第一条　适用于本县全域。\n第二条　施行。\n第三条　解释。",
        ));
        let text = render_diff(&diff(&diff_units(&a), &diff_units(&b)));
        assert_eq!(
            text,
            "~ art-1 第一条\n  适用于本县{+全域+}。\n+ art-3 第三条\n  第三条　解释。\n"
        );
    }

    /// Keys are pairs within runs of letters and digits: a pair across punctuation or a space
    /// is no key, so a two-character term's key is in a clause exactly when the term is.
    #[test]
    fn bigram_keys_pair_within_words_and_repeat_once() {
        let key = |s: &str| {
            let mut c = s.chars();
            bigram_key(c.next().unwrap(), c.next().unwrap())
        };
        let mut expected = vec![key("处以"), key("以罚"), key("罚款")];
        expected.sort();
        assert_eq!(bigram_keys("处以罚款，罚款！"), expected);
        assert!(!bigram_keys("罚，款").contains(&key("罚款")));
        assert!(bigram_keys("罚 款").is_empty());
        assert_eq!(bigram_keys("A-b"), Vec::<i32>::new());
        assert_eq!(bigram_keys("Ab"), vec![key("ab")]);
        assert!(bigram_keys("罚").is_empty());
        // Exact for BMP pairs: two different pairs never share a key.
        assert_ne!(key("罚款"), key("款罚"));
        assert_eq!(key("罚款"), (('罚' as i32) << 16) | '款' as i32);
    }

    /// Every term found in a text has all its keys among the text's: the index never misses.
    #[test]
    fn a_substring_s_keys_are_among_the_text_s() {
        let text =
            "第五条　违反本办法规定的，由县市场监督管理局依照《中华人民共和国食品安全法》处罚。";
        let keys = bigram_keys(text);
        let chars: Vec<char> = text.chars().collect();
        for from in 0..chars.len() {
            for to in from + 1..=chars.len() {
                let term: String = chars[from..to].iter().collect();
                assert!(
                    bigram_keys(&term).iter().all(|k| keys.contains(k)),
                    "{term}"
                );
            }
        }
    }

    /// Laws with their articles are cited; a quoted title that is not a law is not.
    #[test]
    fn citations_name_the_law_and_each_article() {
        let text = normalise(
            "第一条　根据《中华人民共和国行政许可法》第十二条、第十三条和《江西省行政规范性文件管理办法》，制定本规定。\n第二条　参照《人民日报》报道和《中华人民共和国行政许可法》第十二条。",
        );
        let cs = citations(&clauses(&text));
        let got: Vec<(&str, &str, Option<u32>)> = cs
            .iter()
            .map(|c| (c.clause.as_str(), c.law.as_str(), c.article))
            .collect();
        assert_eq!(
            got,
            [
                ("art-1-p1", "中华人民共和国行政许可法", Some(12)),
                ("art-1-p1", "中华人民共和国行政许可法", Some(13)),
                ("art-1-p1", "江西省行政规范性文件管理办法", None),
                ("art-2-p1", "中华人民共和国行政许可法", Some(12)),
            ]
        );
    }

    #[test]
    fn identical_texts_have_only_unchanged_clauses() {
        assert!(
            kinds(RULES, RULES)
                .iter()
                .all(|(k, _)| *k == ChangeKind::Unchanged)
        );
    }
}
