//! Document number (发文字号, 文号): `代字〔YYYY〕N号`, e.g. `南政办发〔2019〕63号`.
//!
//! GB/T 9704-2012: the full year in 六角括号 〔〕, the serial without leading zeros and without
//! "第". People type other brackets, so `[2019]`, `［2019］`, `(2019)` and `（2019）` are accepted
//! on input and normalised to 〔〕; anything else is refused with a message that says why.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Smallest and largest year a number may carry (the PRC's founding; a sane upper bound).
const YEARS: std::ops::RangeInclusive<u16> = 1949..=2100;
/// An agency code (发文机关代字) is short; anything longer is a typo or an attack.
const MAX_AGENCY_CODE_CHARS: usize = 16;
const MAX_SERIAL: u32 = 99_999;

/// A parsed, normalised document number. Stored in events as its three parts so that the
/// database can enforce uniqueness per (agency code, year) without parsing text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DocumentNumber {
    /// 发文机关代字, e.g. `南政办发`.
    pub agency_code: String,
    pub year: u16,
    /// The serial number within (agency code, year), ≥ 1.
    pub serial: u32,
}

/// Why a text is not a document number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid document number {input:?}: {reason}")]
pub struct DocumentNumberError {
    pub input: String,
    pub reason: &'static str,
}

impl DocumentNumber {
    pub fn parse(input: &str) -> Result<Self, DocumentNumberError> {
        let fail = |reason| DocumentNumberError {
            input: input.chars().take(64).collect(),
            reason,
        };
        let s = input.trim();
        let open = s
            .char_indices()
            .find(|(_, c)| matches!(c, '〔' | '[' | '［' | '(' | '（'))
            .ok_or_else(|| fail("expected the year in brackets, as in 南政办发〔2019〕63号"))?;
        let close_char = match open.1 {
            '〔' => '〕',
            '[' => ']',
            '［' => '］',
            '(' => ')',
            _ => '）',
        };
        let agency_code = &s[..open.0];
        let rest = &s[open.0 + open.1.len_utf8()..];
        let close = rest
            .find(close_char)
            .ok_or_else(|| fail("the year's bracket is not closed with its matching bracket"))?;
        let year_text = &rest[..close];
        let tail = &rest[close + close_char.len_utf8()..];

        if agency_code.is_empty() {
            return Err(fail("the agency code (代字) before the year is missing"));
        }
        if agency_code.chars().count() > MAX_AGENCY_CODE_CHARS {
            return Err(fail("the agency code (代字) is longer than 16 characters"));
        }
        if !agency_code.chars().all(is_agency_code_char) {
            return Err(fail(
                "the agency code (代字) may contain only Chinese characters and Latin letters",
            ));
        }
        if year_text.len() != 4 || !year_text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(fail("the year must be four digits"));
        }
        let year: u16 = year_text
            .parse()
            .map_err(|_| fail("the year must be four digits"))?;
        if !YEARS.contains(&year) {
            return Err(fail("the year must be between 1949 and 2100"));
        }
        let serial_text = tail
            .strip_suffix('号')
            .ok_or_else(|| fail("the number must end with 号"))?;
        if serial_text.starts_with('第') {
            return Err(fail("write the serial without 第"));
        }
        if serial_text.is_empty() || !serial_text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(fail("the serial must be digits"));
        }
        if serial_text.starts_with('0') {
            return Err(fail(
                "the serial must not have leading zeros and must be at least 1",
            ));
        }
        let serial: u32 = serial_text
            .parse()
            .ok()
            .filter(|n| *n <= MAX_SERIAL)
            .ok_or_else(|| fail("the serial is too large"))?;
        Ok(DocumentNumber {
            agency_code: agency_code.to_owned(),
            year,
            serial,
        })
    }
}

fn is_agency_code_char(c: char) -> bool {
    c.is_ascii_alphabetic()
        || ('\u{4E00}'..='\u{9FFF}').contains(&c)
        || ('\u{3400}'..='\u{4DBF}').contains(&c)
}

impl fmt::Display for DocumentNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}〔{}〕{}号", self.agency_code, self.year, self.serial)
    }
}

impl FromStr for DocumentNumber {
    type Err = DocumentNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_standard_form() {
        let n = DocumentNumber::parse("南政办发〔2019〕63号").unwrap();
        assert_eq!(n.agency_code, "南政办发");
        assert_eq!(n.year, 2019);
        assert_eq!(n.serial, 63);
        assert_eq!(n.to_string(), "南政办发〔2019〕63号");
    }

    #[test]
    fn normalises_other_brackets_to_hexagonal_ones() {
        for input in [
            "南政办发[2019]63号",
            "南政办发［2019］63号",
            "南政办发(2019)63号",
            "南政办发（2019）63号",
            "  南政办发〔2019〕63号 ",
        ] {
            assert_eq!(
                DocumentNumber::parse(input).unwrap().to_string(),
                "南政办发〔2019〕63号",
                "{input}"
            );
        }
    }

    #[test]
    fn refuses_malformed_numbers_with_a_reason() {
        for (input, why) in [
            ("", "brackets"),
            ("南政办发2019年63号", "brackets"),
            ("〔2019〕63号", "missing"),
            ("南政办发〔2019]63号", "not closed"),
            ("南政办发〔19〕63号", "four digits"),
            ("南政办发〔1948〕63号", "1949"),
            ("南政办发〔2101〕63号", "1949"),
            ("南政办发〔2019〕063号", "leading zeros"),
            ("南政办发〔2019〕0号", "leading zeros"),
            ("南政办发〔2019〕第63号", "第"),
            ("南政办发〔2019〕63", "号"),
            ("南政办发〔2019〕六十三号", "digits"),
            ("南政 办发〔2019〕63号", "Chinese characters"),
            ("南政办发〔2019〕9999999号", "too large"),
            ("南';DROP--〔2019〕1号", "Chinese characters"),
        ] {
            let err = DocumentNumber::parse(input).unwrap_err();
            assert!(err.reason.contains(why), "{input}: {}", err.reason);
        }
    }
}
