//! Warn-only screening of a text against what a normative document may not do (the "八不得"
//! of 国办发〔2018〕37号 and the statutes behind them): configurable patterns, each match a
//! warning anchored to the clause it is in, naming its rule and source. A match is a prompt
//! for the reviewer, never a refusal.
//!
//! Pattern syntax: literal words, `…` for up to [`GAP`] characters between two parts (all in
//! one clause, in order), and `(a|b|c)` for alternatives.

use serde::Deserialize;

use crate::domain::text::{Clause, ClauseKind};

/// The most characters `…` stands for.
pub const GAP: usize = 30;

/// One thing a normative document may not do, and the words that suggest it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ScreeningRule {
    /// A stable code, e.g. CREATES_PENALTY.
    pub code: String,
    pub label: String,
    pub patterns: Vec<String>,
    /// What the law says.
    pub rule: String,
    /// Where it says it.
    pub source: String,
}

/// The rules in force: the defaults shipped in `data/screening/rules.json`, or the
/// operator's file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ScreeningRules {
    pub rules: Vec<ScreeningRule>,
}

impl ScreeningRules {
    /// Parses a rules file (JSON with a `rules` array); every pattern must be well formed.
    pub fn from_json(json: &str) -> Result<Self, String> {
        let rules: ScreeningRules =
            serde_json::from_str(json).map_err(|e| format!("screening rules: {e}"))?;
        for r in &rules.rules {
            if r.code.is_empty() || r.patterns.is_empty() {
                return Err(format!(
                    "screening rule {:?} needs a code and patterns",
                    r.code
                ));
            }
            for p in &r.patterns {
                Pattern::parse(p).map_err(|e| format!("rule {}: pattern {p:?}: {e}", r.code))?;
            }
        }
        Ok(rules)
    }

    /// The rules shipped with normledger.
    pub fn defaults() -> Self {
        Self::from_json(include_str!("../../data/screening/rules.json"))
            .expect("the shipped screening rules parse")
    }
}

/// A screening warning: the rule, the clause, and the words that matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreeningHit<'a> {
    pub rule: &'a ScreeningRule,
    pub clause: String,
    pub matched: String,
}

/// One part of a pattern: alternatives, any of which may match.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Part(Vec<String>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Pattern(Vec<Part>);

impl Pattern {
    fn parse(s: &str) -> Result<Self, String> {
        let parts: Vec<Part> = s
            .split('…')
            .map(|part| {
                let alternatives: Vec<String> =
                    match part.strip_prefix('(').and_then(|p| p.strip_suffix(')')) {
                        Some(group) => group.split('|').map(str::to_owned).collect(),
                        None => vec![part.to_owned()],
                    };
                if alternatives
                    .iter()
                    .any(|a| a.is_empty() || a.contains(['(', ')', '|']))
                {
                    return Err("empty or nested alternatives".to_owned());
                }
                Ok(Part(alternatives))
            })
            .collect::<Result<_, _>>()?;
        Ok(Pattern(parts))
    }

    /// The first match in `text`: from the first part to the end of the last.
    fn find<'t>(&self, text: &'t str) -> Option<&'t str> {
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        'start: for (i, _) in &chars {
            let mut at = *i;
            let mut end = at;
            for (k, part) in self.0.iter().enumerate() {
                // The first part must start here; later ones within GAP characters.
                let window_end = if k == 0 {
                    at
                } else {
                    text[at..]
                        .char_indices()
                        .nth(GAP)
                        .map_or(text.len(), |(o, _)| at + o)
                };
                let found = (at..=window_end)
                    .filter(|p| text.is_char_boundary(*p))
                    .find_map(|p| {
                        part.0
                            .iter()
                            .find(|a| text[p..].starts_with(a.as_str()))
                            .map(|a| (p, p + a.len()))
                    });
                match found {
                    Some((_, e)) => {
                        at = e;
                        end = e;
                    }
                    None => continue 'start,
                }
            }
            return Some(&text[*i..end]);
        }
        None
    }
}

/// Every rule that matches a paragraph-level clause (preamble paragraph, 款, 项, 目) of the
/// text's clauses, once per rule and clause, in reading order.
pub fn screen<'r>(rules: &'r ScreeningRules, clauses: &[Clause]) -> Vec<ScreeningHit<'r>> {
    let mut hits = vec![];
    for clause in clauses.iter().filter(|c| {
        matches!(
            c.kind,
            ClauseKind::Preamble | ClauseKind::Paragraph | ClauseKind::Item | ClauseKind::SubItem
        )
    }) {
        for rule in &rules.rules {
            let matched = rule
                .patterns
                .iter()
                .filter_map(|p| Pattern::parse(p).ok())
                .find_map(|p| p.find(&clause.text));
            if let Some(m) = matched {
                hits.push(ScreeningHit {
                    rule,
                    clause: clause.id.clone(),
                    matched: m.to_owned(),
                });
            }
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::text::{clauses, normalise};

    fn hits(text: &str) -> Vec<(String, String, String)> {
        let rules = ScreeningRules::defaults();
        screen(&rules, &clauses(&normalise(text)))
            .into_iter()
            .map(|h| (h.rule.code.clone(), h.clause, h.matched))
            .collect()
    }

    /// A penalty, a fee with words between, and a designated supplier are each found in their
    /// clause; a harmless clause is not.
    #[test]
    fn rules_find_their_words_in_the_clause() {
        let found = hits(
            "第一条　为了规范管理，制定本办法。\n第二条　违反本办法的，处以五千元罚款。\n第三条　申请人应当向县财政局缴纳工本费。\n第四条　采购应当从指定的三家供应商中选择。",
        );
        assert!(
            found.contains(&("CREATES_PENALTY".into(), "art-2-p1".into(), "罚款".into())),
            "{found:?}"
        );
        assert!(
            found.contains(&("CREATES_FEE".into(), "art-3-p1".into(), "缴纳工本费".into())),
            "{found:?}"
        );
        assert!(
            found.contains(&(
                "RESTRICTS_COMPETITION".into(),
                "art-4-p1".into(),
                "指定的三家供应商".into()
            )),
            "{found:?}"
        );
        assert!(!found.iter().any(|h| h.1 == "art-1-p1"), "{found:?}");
    }

    /// `…` spans at most GAP characters: words too far apart are not one match.
    #[test]
    fn a_gap_is_bounded() {
        let p = Pattern::parse("收取…费").unwrap();
        assert_eq!(p.find("收取工本费"), Some("收取工本费"));
        let far = format!("收取{}费", "甲".repeat(GAP + 1));
        assert_eq!(p.find(&far), None);
        let near = format!("收取{}费", "甲".repeat(GAP - 1));
        assert!(p.find(&near).is_some());
    }

    #[test]
    fn malformed_rules_are_refused() {
        assert!(ScreeningRules::from_json(r#"{"rules": [{"code": "X", "label": "", "patterns": ["(a|)"], "rule": "", "source": ""}]}"#).is_err());
        assert!(ScreeningRules::from_json(r#"{"rules": [{"code": "", "label": "", "patterns": ["a"], "rule": "", "source": ""}]}"#).is_err());
        assert!(ScreeningRules::from_json("not json").is_err());
    }
}
