//! Property tests of the domain's parsers and value types: they never panic, whatever the
//! input, and what they print they parse back to the same value.

use proptest::prelude::*;

use crate::domain::calendar::WorkingCalendar;
use crate::domain::certification_item::BasisLevel;
use crate::domain::document_number::DocumentNumber;
use crate::domain::error::check_text;
use crate::domain::{DocumentStatus, Role};

/// An agency code as people write them: CJK ideographs, sometimes Latin letters.
fn agency_code() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => (0x4E00u32..=0x9FFF).prop_map(|c| char::from_u32(c).unwrap()),
            1 => prop::char::range('A', 'Z'),
        ],
        1..=16,
    )
    .prop_map(|v| v.into_iter().collect())
}

fn number() -> impl Strategy<Value = DocumentNumber> {
    (agency_code(), 1949u16..=2100, 1u32..=99_999).prop_map(|(agency_code, year, serial)| {
        DocumentNumber {
            agency_code,
            year,
            serial,
        }
    })
}

fn calendar() -> WorkingCalendar {
    WorkingCalendar::from_notices_json(include_str!("../../data/calendar/cn-holidays.json"))
        .expect("the shipped calendar loads")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn a_document_number_parses_back_from_its_print(n in number()) {
        prop_assert_eq!(DocumentNumber::parse(&n.to_string()), Ok(n.clone()));
        // The brackets people type instead of 〔〕 name the same number.
        let typed = format!("{}[{}]{}号", n.agency_code, n.year, n.serial);
        prop_assert_eq!(DocumentNumber::parse(&typed), Ok(n));
    }

    #[test]
    fn parsing_any_text_never_panics(s in any::<String>()) {
        let _ = DocumentNumber::parse(&s);
    }

    #[test]
    fn parsing_number_shaped_text_never_panics(
        code in "[\\PC]{0,20}", open in "[〔\\[［(（]", year in "[0-9]{0,6}",
        close in "[〕\\]］)）]", serial in "[0-9第号]{0,8}", tail in "\\PC{0,3}",
    ) {
        let _ = DocumentNumber::parse(&format!("{code}{open}{year}{close}{serial}{tail}"));
    }

    #[test]
    fn text_checks_never_panic_and_refuse_controls(s in any::<String>(), max in 0usize..400) {
        let result = check_text("title", &s, max);
        if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            prop_assert!(result.is_err());
        }
        if result.is_ok() {
            prop_assert!(s.chars().count() <= max && !s.trim().is_empty());
        }
    }

    #[test]
    fn a_role_parses_back_from_its_name(i in 0usize..Role::ALL.len()) {
        let role = Role::ALL[i];
        prop_assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        prop_assert_eq!(role.as_str().to_lowercase().parse::<Role>(), Ok(role));
    }

    #[test]
    fn working_days_move_forward_onto_working_days(
        offset in 0i64..(365 * 10), n in 0u32..40,
    ) {
        let cal = calendar();
        let start = chrono::NaiveDate::from_ymd_opt(2015, 1, 1).unwrap()
            + chrono::Duration::days(offset);
        if let Ok(end) = cal.add_working_days(start, n) {
            prop_assert!(end >= start);
            if n > 0 {
                prop_assert!(cal.is_working_day(end).unwrap());
            }
        }
    }

    #[test]
    fn calendar_files_of_any_text_never_panic(s in any::<String>()) {
        let _ = WorkingCalendar::from_csv(&s);
        let _ = WorkingCalendar::from_notices_json(&s);
    }

    #[test]
    fn status_and_kind_codes_parse_back_from_their_print(
        status in prop::sample::select(vec![
            DocumentStatus::Drafting, DocumentStatus::Consultation, DocumentStatus::Submitted,
            DocumentStatus::UnderReview, DocumentStatus::Revising,
            DocumentStatus::AwaitingDeliberation, DocumentStatus::Approved, DocumentStatus::Issued,
            DocumentStatus::Expired, DocumentStatus::Repealed, DocumentStatus::DeclaredInvalid,
            DocumentStatus::Revoked, DocumentStatus::Superseded, DocumentStatus::Withdrawn,
            DocumentStatus::Rejected,
        ]),
        level in prop::sample::select(vec![
            BasisLevel::Law, BasisLevel::Regulation, BasisLevel::StateCouncilDecision,
            BasisLevel::Rule, BasisLevel::NormativeDocument, BasisLevel::None,
        ]),
    ) {
        // The API's and the read model's code is the serde name.
        let code = serde_json::to_value(status).unwrap();
        prop_assert_eq!(code.as_str(), Some(status.as_str()));
        prop_assert_eq!(serde_json::from_value::<DocumentStatus>(code).unwrap(), status);
        let code = serde_json::to_value(level).unwrap();
        prop_assert_eq!(serde_json::from_value::<BasisLevel>(code).unwrap(), level);
    }

    #[test]
    fn dates_parse_back_from_their_print(days in 0i64..100_000) {
        let d = chrono::NaiveDate::from_ymd_opt(1949, 1, 1).unwrap() + chrono::Duration::days(days);
        prop_assert_eq!(d.to_string().parse::<chrono::NaiveDate>(), Ok(d));
    }
}
