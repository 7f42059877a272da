//! Operator limits on the size of command input, set per deployment (`serve --max-*`) and
//! applied to every command before the domain sees it. The domain keeps its own maxima
//! (`domain::limits`); these settings can tighten them, and the defaults are them.

use serde_json::Value;

use crate::domain::limits;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputLimits {
    /// Titles of documents and campaigns.
    pub title_chars: usize,
    /// Free text: opinions, reasons, descriptions, summaries, grounds, notes.
    pub text_chars: usize,
    /// Every other string: names, units, codes, channels, numbers.
    pub short_chars: usize,
    /// Entries of any list (materials, authorities, issues, scope).
    pub list_len: usize,
    /// A document's text (正文).
    pub document_text_chars: usize,
}

impl Default for InputLimits {
    fn default() -> Self {
        InputLimits {
            title_chars: limits::MAX_TITLE_CHARS,
            text_chars: limits::MAX_TEXT_CHARS,
            short_chars: limits::MAX_SHORT_CHARS,
            list_len: limits::MAX_LIST_LEN,
            document_text_chars: limits::MAX_DOCUMENT_TEXT_CHARS,
        }
    }
}

/// The free-text fields, by their names in the commands.
const TEXT_FIELDS: &[&str] = &[
    "adoption_summary",
    "comments",
    "commitment_reason",
    "description",
    "dissent",
    "grounds",
    "notes",
    "opinion",
    "reason",
    "service_guide",
    "summary",
    "text",
    "validity_override_reason",
];

/// A document's text in a serialised command (the API calls it `text`).
const DOCUMENT_TEXT: &str = "document_text";

/// A value over its limit: the field (as the API names it) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverLimit {
    pub field: String,
    pub reason: String,
}

impl InputLimits {
    /// Checks every string and list in a serialised command.
    pub fn check(&self, command: &Value) -> Result<(), OverLimit> {
        self.walk(None, command)
    }

    fn walk(&self, key: Option<&str>, value: &Value) -> Result<(), OverLimit> {
        match value {
            Value::String(s) => {
                let max = match key {
                    Some("title") => self.title_chars,
                    Some(DOCUMENT_TEXT) => self.document_text_chars,
                    // A file's bytes: bounded by the upload limit and the domain's maximum.
                    Some("content_base64") => return Ok(()),
                    Some(k) if TEXT_FIELDS.contains(&k) => self.text_chars,
                    _ => self.short_chars,
                };
                if s.chars().count() > max {
                    return Err(over(key, format!("must be at most {max} characters")));
                }
                Ok(())
            }
            Value::Array(items) => {
                if items.len() > self.list_len {
                    return Err(over(
                        key,
                        format!("must have at most {} entries", self.list_len),
                    ));
                }
                items.iter().try_for_each(|v| self.walk(key, v))
            }
            Value::Object(fields) => fields
                .iter()
                .try_for_each(|(k, v)| self.walk(Some(k.as_str()), v)),
            _ => Ok(()),
        }
    }
}

/// The API's (camelCase) name of a command field.
fn over(key: Option<&str>, reason: String) -> OverLimit {
    let mut field = String::new();
    let mut upper = false;
    let key = key.map(|k| if k == DOCUMENT_TEXT { "text" } else { k });
    for c in key.unwrap_or("input").chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            field.extend(c.to_uppercase());
            upper = false;
        } else {
            field.push(c);
        }
    }
    OverLimit { field, reason }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_kind_of_field_has_its_own_limit() {
        let tight = InputLimits {
            title_chars: 5,
            text_chars: 10,
            short_chars: 3,
            list_len: 2,
            document_text_chars: 20,
        };
        let ok = json!({"Draft": {"draft": {"title": "五个字标题", "summary": "十个字以内的摘要。", "body_code": "ABC"}}});
        assert_eq!(tight.check(&ok), Ok(()));
        let long_title = json!({"Draft": {"draft": {"title": "六个字的标题"}}});
        assert_eq!(tight.check(&long_title).unwrap_err().field, "title");
        let long_reason = json!({"Withdraw": {"reason": "这是一个超过十个字的理由说明"}});
        assert_eq!(tight.check(&long_reason).unwrap_err().field, "reason");
        let long_code = json!({"x": {"drafting_unit": "四个字的"}});
        assert_eq!(
            tight.check(&long_code).unwrap_err(),
            OverLimit {
                field: "draftingUnit".into(),
                reason: "must be at most 3 characters".into()
            }
        );
        let long_list = json!({"SubmitForReview": {"materials": ["a", "b", "c"]}});
        assert_eq!(tight.check(&long_list).unwrap_err().field, "materials");
        assert_eq!(InputLimits::default().check(&long_title), Ok(()));
        // A document's text has its own limit, and is named as the API names it.
        let text = "第一条　本规定自发布之日起施行。";
        let draft = json!({"Draft": {"document_text": text, "draft": {"title": "标题"}}});
        assert_eq!(tight.check(&draft), Ok(()));
        let long = json!({"Draft": {"document_text": text.repeat(2)}});
        assert_eq!(tight.check(&long).unwrap_err().field, "text");
    }
}
