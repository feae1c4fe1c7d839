//! The holiday calendars Casebook ships, as data files (`crates/sla/calendars/NAME/YEAR.toml`)
//! embedded at build time: a policy includes one by name (`include = ["cn-mainland"]`).
//!
//! A new year is a new file beside the others and a line in [`FILES`]; nothing else changes.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::Deserialize;

/// The shipped calendars' names.
pub const NAMES: [&str; 1] = ["cn-mainland"];

/// Every shipped file: calendar name, year, contents.
const FILES: [(&str, i32, &str); 6] = [
    (
        "cn-mainland",
        2021,
        include_str!("../calendars/cn-mainland/2021.toml"),
    ),
    (
        "cn-mainland",
        2022,
        include_str!("../calendars/cn-mainland/2022.toml"),
    ),
    (
        "cn-mainland",
        2023,
        include_str!("../calendars/cn-mainland/2023.toml"),
    ),
    (
        "cn-mainland",
        2024,
        include_str!("../calendars/cn-mainland/2024.toml"),
    ),
    (
        "cn-mainland",
        2025,
        include_str!("../calendars/cn-mainland/2025.toml"),
    ),
    (
        "cn-mainland",
        2026,
        include_str!("../calendars/cn-mainland/2026.toml"),
    ),
];

/// The days a shipped calendar names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShippedDays {
    /// Days off.
    pub holidays: BTreeSet<NaiveDate>,
    /// Weekend days worked instead.
    pub extra_workdays: BTreeSet<NaiveDate>,
    /// The years it covers.
    pub years: BTreeSet<i32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YearFile {
    year: i32,
    holidays: Vec<NaiveDate>,
    extra_workdays: Vec<NaiveDate>,
}

/// A shipped calendar by name, `None` for a name not shipped.
pub fn calendar(name: &str) -> Option<ShippedDays> {
    let files: Vec<&str> = FILES
        .iter()
        .filter(|(n, _, _)| *n == name)
        .map(|(_, _, text)| *text)
        .collect();
    if files.is_empty() {
        return None;
    }
    let mut days = ShippedDays::default();
    for text in files {
        // The files are checked by this crate's tests; one that does not read is a build defect.
        let Ok(year) = toml::from_str::<YearFile>(text) else {
            continue;
        };
        days.years.insert(year.year);
        days.holidays.extend(year.holidays);
        days.extra_workdays.extend(year.extra_workdays);
    }
    Some(days)
}

/// The years a calendar should cover on a day but does not: the current and the next year,
/// as a team needs them to plan (a year's notice comes out in its November before).
pub fn missing_years(covered: &BTreeSet<i32>, today: NaiveDate) -> Vec<i32> {
    use chrono::Datelike;
    [today.year(), today.year() + 1]
        .into_iter()
        .filter(|year| !covered.contains(year))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, Weekday};

    #[test]
    fn every_shipped_file_reads_and_names_its_own_year() {
        for (name, year, text) in FILES {
            let file: YearFile =
                toml::from_str(text).unwrap_or_else(|e| panic!("{name} {year}: {e}"));
            assert_eq!(file.year, year, "{name} {year}");
            for day in &file.extra_workdays {
                assert!(
                    matches!(day.weekday(), Weekday::Sat | Weekday::Sun),
                    "{name}: make-up day {day} is not a weekend day"
                );
                assert!(
                    !file.holidays.contains(day),
                    "{name}: {day} is both a holiday and a make-up day"
                );
            }
            assert!(
                file.holidays
                    .iter()
                    .all(|d| d.year() == year || (d.year() == year - 1 && d.month() == 12)),
                "{name} {year}"
            );
        }
    }

    #[test]
    fn the_mainland_calendar_knows_2021s_labour_day_and_its_make_up_days() {
        let days = calendar("cn-mainland").expect("shipped");
        let d = |t: &str| NaiveDate::parse_from_str(t, "%Y-%m-%d").expect("a date");
        assert!(
            days.holidays.contains(&d("2021-05-03")) && days.holidays.contains(&d("2021-04-05"))
        );
        assert!(
            days.extra_workdays.contains(&d("2021-04-25"))
                && days.extra_workdays.contains(&d("2021-05-08"))
        );
        assert_eq!(days.years, (2021..=2026).collect());
        assert_eq!(calendar("atlantis"), None);
    }

    #[test]
    fn missing_years_are_this_and_next_year_when_absent() {
        let covered: BTreeSet<i32> = (2021..=2026).collect();
        let d = |t: &str| NaiveDate::parse_from_str(t, "%Y-%m-%d").expect("a date");
        assert_eq!(missing_years(&covered, d("2026-12-04")), vec![2027]);
        assert_eq!(missing_years(&covered, d("2025-06-01")), Vec::<i32>::new());
        assert_eq!(missing_years(&covered, d("2028-01-01")), vec![2028, 2029]);
    }
}
