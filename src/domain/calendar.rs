//! Working-day calendar: weekends, official days off and make-up working days (调休), as data.
//! A date in a year the calendar does not cover is an error, never a guess.

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("the working-day calendar does not cover {0}; import that year's notice")]
    NotCovered(i32),
    #[error("calendar data: {0}")]
    Malformed(String),
}

/// Days off and make-up working days for the years covered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkingCalendar {
    pub years: BTreeSet<i32>,
    pub off: BTreeSet<NaiveDate>,
    pub workdays: BTreeSet<NaiveDate>,
}

#[derive(Deserialize)]
struct NoticeFile {
    years: BTreeMap<String, NoticeYear>,
}

#[derive(Deserialize)]
struct NoticeYear {
    #[serde(default)]
    off: Vec<NaiveDate>,
    #[serde(default)]
    workdays: Vec<NaiveDate>,
}

impl WorkingCalendar {
    /// The JSON of the State Council notices (`data/calendar/cn-holidays.json`): keyed by the
    /// notice's year; the calendar is the union of all years.
    pub fn from_notices_json(text: &str) -> Result<Self, CalendarError> {
        let file: NoticeFile =
            serde_json::from_str(text).map_err(|e| CalendarError::Malformed(e.to_string()))?;
        let mut cal = WorkingCalendar::default();
        for (year, entry) in file.years {
            let year: i32 = year
                .parse()
                .map_err(|_| CalendarError::Malformed(format!("{year:?} is not a year")))?;
            cal.years.insert(year);
            cal.off.extend(entry.off);
            cal.workdays.extend(entry.workdays);
        }
        cal.check()?;
        Ok(cal)
    }

    /// CSV lines `date,kind` with kind `OFF` or `WORKDAY` (a header line is allowed); every
    /// year that appears is taken as covered.
    pub fn from_csv(text: &str) -> Result<Self, CalendarError> {
        let mut cal = WorkingCalendar::default();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || (n == 0 && line.to_ascii_lowercase().starts_with("date")) {
                continue;
            }
            let (date, kind) = line.split_once(',').ok_or_else(|| {
                CalendarError::Malformed(format!("line {}: expected date,kind", n + 1))
            })?;
            let date: NaiveDate = date.trim().parse().map_err(|_| {
                CalendarError::Malformed(format!("line {}: {date:?} is not a date", n + 1))
            })?;
            match kind.trim().to_ascii_uppercase().as_str() {
                "OFF" => cal.off.insert(date),
                "WORKDAY" => cal.workdays.insert(date),
                k => {
                    return Err(CalendarError::Malformed(format!(
                        "line {}: kind {k:?} is not OFF or WORKDAY",
                        n + 1
                    )));
                }
            };
            cal.years.insert(date.year());
        }
        cal.check()?;
        Ok(cal)
    }

    fn check(&self) -> Result<(), CalendarError> {
        if let Some(d) = self.off.intersection(&self.workdays).next() {
            return Err(CalendarError::Malformed(format!(
                "{d} is both a day off and a working day"
            )));
        }
        Ok(())
    }

    /// Whether `date` is a working day.
    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        if !self.years.contains(&date.year()) {
            return Err(CalendarError::NotCovered(date.year()));
        }
        if self.off.contains(&date) {
            return Ok(false);
        }
        if self.workdays.contains(&date) {
            return Ok(true);
        }
        Ok(!matches!(date.weekday(), Weekday::Sat | Weekday::Sun))
    }

    /// The `n`th working day after `start` (`start` itself not counted).
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        let mut date = start;
        let mut left = n;
        while left > 0 {
            date = date
                .checked_add_days(Days::new(1))
                .ok_or(CalendarError::NotCovered(date.year()))?;
            if self.is_working_day(date)? {
                left -= 1;
            }
        }
        Ok(date)
    }

    /// Working days from `from` to `due`: positive while time is left (the due day counts,
    /// `from` does not), zero on the due day, negative once overdue (working days past it).
    /// What "3 working days left" and "2 working days overdue" are counted with.
    pub fn working_days_between(
        &self,
        from: NaiveDate,
        due: NaiveDate,
    ) -> Result<i64, CalendarError> {
        let (start, end, sign) = if due >= from {
            (from, due, 1)
        } else {
            (due, from, -1)
        };
        let mut n = 0i64;
        let mut date = start;
        while date < end {
            date = date
                .checked_add_days(Days::new(1))
                .ok_or(CalendarError::NotCovered(date.year()))?;
            if self.is_working_day(date)? {
                n += 1;
            }
        }
        Ok(sign * n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> WorkingCalendar {
        WorkingCalendar::from_notices_json(include_str!("../../data/calendar/cn-holidays.json"))
            .unwrap()
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn working_days_left_and_overdue_are_counted_across_a_holiday() {
        let cal = shipped();
        // 2019-09-30 (Mon) to 2019-10-09 (Wed): 1–7 October off, 8 and 9 worked.
        assert_eq!(
            cal.working_days_between(d("2019-09-30"), d("2019-10-09"))
                .unwrap(),
            2
        );
        assert_eq!(
            cal.working_days_between(d("2019-10-09"), d("2019-10-09"))
                .unwrap(),
            0
        );
        assert_eq!(
            cal.working_days_between(d("2019-10-09"), d("2019-09-30"))
                .unwrap(),
            -2
        );
        // Due on a Friday, looked at on the Monday after: one working day overdue.
        assert_eq!(
            cal.working_days_between(d("2019-11-18"), d("2019-11-15"))
                .unwrap(),
            -1
        );
    }

    #[test]
    fn national_day_is_off_and_its_makeup_sunday_is_worked() {
        let cal = shipped();
        assert!(!cal.is_working_day(d("2019-10-01")).unwrap());
        assert!(!cal.is_working_day(d("2019-10-07")).unwrap());
        assert!(
            cal.is_working_day(d("2019-09-29")).unwrap(),
            "a Sunday made a working day"
        );
        assert!(cal.is_working_day(d("2019-10-08")).unwrap());
        assert!(
            !cal.is_working_day(d("2019-10-13")).unwrap(),
            "an ordinary Sunday"
        );
    }

    #[test]
    fn working_days_skip_weekends_and_holidays() {
        let cal = shipped();
        // 2019-09-27 (Fri) + 3 working days: 09-29 (make-up Sunday), 09-30, then 10-08.
        assert_eq!(
            cal.add_working_days(d("2019-09-27"), 3).unwrap(),
            d("2019-10-08")
        );
        assert_eq!(
            cal.add_working_days(d("2019-07-01"), 15).unwrap(),
            d("2019-07-22")
        );
    }

    #[test]
    fn a_year_not_covered_is_an_error_not_a_guess() {
        let cal = shipped();
        assert_eq!(
            cal.is_working_day(d("2014-06-03")),
            Err(CalendarError::NotCovered(2014))
        );
        assert!(cal.add_working_days(d("2026-12-20"), 30).is_err());
    }

    #[test]
    fn csv_calendars_are_read_and_checked() {
        let cal =
            WorkingCalendar::from_csv("date,kind\n2030-01-01,OFF\n2030-01-05,WORKDAY\n").unwrap();
        assert!(!cal.is_working_day(d("2030-01-01")).unwrap());
        assert!(cal.is_working_day(d("2030-01-05")).unwrap());
        assert!(WorkingCalendar::from_csv("2030-01-01,HOLIDAY").is_err());
        assert!(WorkingCalendar::from_csv("2030-01-01,OFF\n2030-01-01,WORKDAY").is_err());
    }
}
